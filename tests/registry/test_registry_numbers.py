"""Phone numbers: kinds, carriers, cities, precise errors, and bulk regexes that agree with parse_number."""

from __future__ import annotations

import random
import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha import numbers
from fanzha.numbers import NumberError, parse_number

MOBILE_BLOCKS = sorted(p for p in numbers.CARRIER_PREFIXES if len(p) >= 3)


@pytest.mark.parametrize(
    ("raw", "kind", "normalized", "carrier"),
    [
        ("13307151234", "mobile", "13307151234", "China Telecom"),
        ("+86 133 0715 1234", "mobile", "13307151234", "China Telecom"),
        ("008613307151234", "mobile", "13307151234", "China Telecom"),
        ("18612345678", "mobile", "18612345678", "China Unicom"),
        ("13812345678", "mobile", "13812345678", "China Mobile"),
        ("19212345678", "mobile", "19212345678", "China Broadnet"),
        ("0715-8123456", "fixed", "07158123456", None),
        ("010 12345678".replace("1234", "6234"), "fixed", "01062345678", None),
        ("+14155552671", "international", "+14155552671", None),
        ("110", "service", "110", None),
        ("12321", "service", "12321", None),
        ("95588", "service", "95588", None),
        ("4008123456", "service", "4008123456", None),
        ("1440123456789", "iot", "1440123456789", "China Mobile"),
    ],
)
def test_kinds_and_normalized_forms(raw, kind, normalized, carrier):
    p = parse_number(raw)
    assert (p.kind, p.number, p.carrier) == (kind, normalized, carrier)


def test_fixed_line_city_and_area_code():
    p = parse_number("07158123456")
    assert p.area_code == "0715" and p.city == "湖北省咸宁市" and p.e164 == "+867158123456"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1330715123", "mobile number must have 11 digits, got 10"),
        ("14412345678", "prefix 144 is not an allocated mobile number block"),
        ("0715 812345", "local number after area code 0715 must have 7 or 8 digits, got 6"),
        ("0715 81234567", "area code 0715 has 7-digit local numbers, got 8"),
        ("07150123456", "local number 0123456 after area code 0715 must start with 2-8"),
        ("13a07151234", "character 'a' is not allowed in a phone number"),
        ("", "phone number is empty"),
        ("+1415555267", "+1415555267 is not a valid number for country +1 (US)"),
        ("8123456", "a 7-digit number without area code: fixed numbers need it (e.g. 0715 for 咸宁)"),
    ],
)
def test_precise_messages(raw, message):
    with pytest.raises(NumberError) as err:
        parse_number(raw)
    assert str(err.value) == message


@settings(max_examples=150, deadline=None)
@given(block=st.sampled_from(MOBILE_BLOCKS), rest=st.integers(0, 10**8 - 1))
def test_mobile_numbers_round_trip(block, rest):
    number = (block + f"{rest:08d}")[:11].ljust(11, "0")
    try:
        p = parse_number(number)
    except NumberError:
        assert not re.match(numbers.MOBILE_PATTERN, number)
        return
    assert p.kind == "mobile" and p.number == number
    # Every accepted form of the same number parses to the same thing.
    for form in (f"+86{number}", f"0086 {number}", f"{number[:3]}-{number[3:7]}-{number[7:]}"):
        assert parse_number(form) == p
    assert p.carrier == numbers.carrier_of_mobile(number) and p.carrier is not None
    assert parse_number(p.e164).number == number


def _samples(n: int = 3000) -> list[str]:
    rng = random.Random(11)
    areas = sorted(numbers.area_codes())
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            out.append(rng.choice(MOBILE_BLOCKS)[:3] + "".join(rng.choice("0123456789") for _ in range(8)))
        elif kind < 0.5:
            out.append("1" + "".join(rng.choice("0123456789") for _ in range(10)))
        elif kind < 0.85:
            local = str(rng.randint(0, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.choice((6, 7))))
            out.append(rng.choice(areas) + local)
        else:
            prefix = rng.choice(list(numbers.IOT_PREFIXES) + ["1449", "1064"])
            out.append(prefix + "".join(rng.choice("0123456789") for _ in range(13 - len(prefix))))
    return out


@pytest.mark.parametrize(("pattern", "kind"), [
    (numbers.MOBILE_PATTERN, "mobile"), (numbers.FIXED_PATTERN, "fixed"), (numbers.IOT_PATTERN, "iot"),
])
def test_bulk_patterns_agree_with_parse_number(pattern, kind):
    samples = _samples()
    # RE2 (pyarrow, DuckDB) and Python re give the same answers, and both agree with parse_number.
    re2 = pc.match_substring_regex(pa.array(samples), pattern).to_pylist()
    for s, hit in zip(samples, re2):
        assert bool(re.match(pattern, s)) == hit, s
        assert hit == numbers.is_valid_number(s, kind=kind), s


def test_service_pattern_covers_service_numbers():
    for s in ["110", "120", "10086", "12321", "12345", "95588", "96110", "4008123456", "8001234567"]:
        assert parse_number(s).kind == "service"
        assert re.match(numbers.SERVICE_PATTERN, s), s


def test_international_pattern_excludes_china():
    assert re.match(numbers.INTERNATIONAL_PATTERN, "+14155552671")
    assert not re.match(numbers.INTERNATIONAL_PATTERN, "+8613307151234")


def test_generated_fixed_pattern_is_current():
    # numbers_fixed.py is generated from the installed phonenumbers: regenerate with `python -m fanzha.numbers`.
    assert numbers.build_fixed_pattern() == numbers.FIXED_PATTERN


@pytest.mark.parametrize("value", ["-1", "1", "+1"])
def test_single_digit_is_a_clear_error(value):
    # "-1" once raised IndexError (a server error on the public tip form) instead of NumberError.
    with pytest.raises(NumberError):
        parse_number(value)


def test_carrier_names_read_in_chinese():
    from fanzha.numbers import carrier_label, carrier_of_mobile

    assert carrier_label(carrier_of_mobile("13312345678")) == "中国电信"
    assert carrier_label("China Mobile") == "中国移动"
    assert carrier_label("some MVNO") == "some MVNO" and carrier_label(None) == ""
