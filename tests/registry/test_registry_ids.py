"""Resident ID parsing: precise messages, divisions (current and historical), bulk agreement."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha import ids
from fanzha.ids import IdError, check_char, is_valid_id, make_id, parse_id, valid_mask

DIVISIONS = sorted(ids.known_division_codes())
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())


def test_known_example_and_derived_fields():
    # GB 11643's own example: 北京市朝阳区, born 1949-12-31, check character X.
    rid = parse_id("11010519491231002x")
    assert rid.number == "11010519491231002X"
    assert rid.division_name == "北京市朝阳区"
    assert rid.province == "北京市"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "F"  # sequence 002 is even
    assert rid.age(on=date(2026, 12, 30)) == 76
    assert rid.age(on=date(2026, 12, 31)) == 77
    assert not rid.is_historical_division


def test_xianning_counties_are_current_divisions():
    for code, name in {"421202": "咸安区", "421221": "嘉鱼县", "421222": "通城县", "421223": "崇阳县",
                       "421224": "通山县", "421281": "赤壁市"}.items():
        rid = parse_id(make_id(code, date(1990, 1, 1), 11))
        assert rid.division.name == name and rid.division.prefecture == "咸宁市"
        assert not rid.is_historical_division


def test_historical_division_is_valid_and_flagged():
    # 422301 was 咸宁市 (county-level, under 咸宁地区) until 1998; people still hold such IDs.
    rid = parse_id(make_id("422301", date(1970, 5, 1), 21))
    assert rid.is_historical_division
    assert rid.division.end_year == 1997
    assert "咸宁" in rid.division_name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("42120219900307001", "must be 18 characters, got 17"),
        ("4212021990030700170", "must be 18 characters, got 19"),
        ("", "ID number is empty"),
        ("421202199003070011", "check character should be 7, got 1"),
        ("999999199003070011", "division 999999 is unknown"),
        ("421202199913320011", "birth date 19991332 is not a date"),
        ("421202199902290011", "birth date 19990229 is not a date"),
        ("42120218000101001X", "birth date 18000101 is before 1900"),
        ("4212021990A3070017", "character 11 must be a digit, got 'A'"),
        ("42120219900307001Y", "check character must be a digit or X, got 'Y'"),
    ],
)
def test_precise_messages(value, message):
    with pytest.raises(IdError) as err:
        parse_id(value)
    assert str(err.value) == message


def test_future_birth_date_rejected():
    tomorrow = date.fromordinal(date.today().toordinal() + 1)
    body = f"421202{tomorrow:%Y%m%d}001"
    with pytest.raises(IdError, match="in the future"):
        parse_id(body + check_char(body))


@settings(max_examples=150, deadline=None)
@given(division=st.sampled_from(DIVISIONS), born=births, seq=st.integers(0, 999))
def test_any_make_id_output_parses_back(division, born, seq):
    number = make_id(division, born, seq)
    rid = parse_id(number)
    assert (rid.division_code, rid.birth_date, rid.sequence) == (division, born, seq)
    assert rid.sex == ("M" if seq % 2 else "F")


@settings(max_examples=150, deadline=None)
@given(division=st.sampled_from(DIVISIONS), born=births, seq=st.integers(0, 999),
       pos=st.integers(0, 17), delta=st.integers(1, 9))
def test_any_single_digit_change_is_caught(division, born, seq, pos, delta):
    number = make_id(division, born, seq)
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    old = number[pos]
    new = alphabet[(alphabet.index(old) + delta) % len(alphabet)] if old in alphabet else "0"
    changed = number[:pos] + new + number[pos + 1:]
    # MOD 11-2 detects every single-character substitution.
    assert not is_valid_id(changed)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(
    st.text(alphabet="0123456789Xx ", min_size=16, max_size=19),
    st.builds(make_id, st.sampled_from(DIVISIONS), births, st.integers(0, 999)),
    st.none(),
), max_size=30))
def test_valid_mask_agrees_with_parse_id(values):
    assert valid_mask(values).tolist() == [is_valid_id(v) if v is not None else False for v in values]


def test_make_id_rejects_bad_arguments():
    with pytest.raises(IdError, match="division must be 6 digits"):
        make_id("4212", date(1990, 1, 1), 1)
    with pytest.raises(IdError, match="sequence must be 0..999"):
        make_id("421202", date(1990, 1, 1), 1000)
