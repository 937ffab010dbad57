"""Phone numbers: the one place that parses them (mobile, fixed, international, service, IoT).

Single numbers go through :func:`parse_number`, which uses Google's ``phonenumbers`` data for
validity, carrier (by number block, so a ported number 携号转网 shows its original carrier) and city.

Bulk code (SQL over millions of call records, the registry loader) uses the plain regex strings
``MOBILE_PATTERN``, ``FIXED_PATTERN``, ``IOT_PATTERN`` and ``SERVICE_PATTERN`` (anchored; RE2,
PostgreSQL and Python ``re`` all accept them) and the prefix table ``CARRIER_PREFIXES``. The
mobile, fixed and IoT patterns are built from the same data as :func:`parse_number` and give the
same verdict on the forms the data contract uses (mobile ``13307151234``, fixed ``07158123456``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers as pn
from phonenumbers import carrier as pn_carrier
from phonenumbers import shortnumberinfo

KINDS = ("mobile", "fixed", "international", "service", "iot")


class NumberError(ValueError):
    """A phone number is malformed; the message says exactly what is wrong."""


@dataclass(frozen=True)
class PhoneNumber:
    number: str  # normalized: mobile 13307151234, fixed 07158123456, service 95588, else +E.164
    kind: str  # one of KINDS
    country_code: int
    region: str | None  # ISO 3166 region, e.g. CN, US
    carrier: str | None = None  # English, e.g. China Telecom
    carrier_zh: str | None = None  # 中国电信
    area_code: str | None = None  # fixed lines: 0715
    city: str | None = None  # 湖北省咸宁市 (mobile: where the number block is registered)
    city_en: str | None = None  # Xianning, Hubei

    @property
    def e164(self) -> str | None:
        if self.kind in ("service", "iot"):
            return None
        if self.kind == "international":
            return self.number
        return f"+86{self.number.lstrip('0')}"


def _metadata():
    return pn.PhoneMetadata.metadata_for_region("CN")


# China's 13-digit M2M/IoT number blocks (MIIT), which phonenumbers does not cover.
IOT_PREFIXES: dict[str, str] = {
    "1440": "China Mobile",
    "148": "China Mobile",
    "10647": "China Mobile",
    "10648": "China Mobile",
    "146": "China Unicom",
    "10646": "China Unicom",
    "1410": "China Telecom",
    "10649": "China Telecom",
}
_CARRIER_ZH = {
    "China Mobile": "中国移动",
    "China Unicom": "中国联通",
    "China Telecom": "中国电信",
    "China Broadnet": "中国广电",
}


def carrier_label(carrier: str | None) -> str:
    """中国电信 for "China Telecom" (the carrier names fanzha stores); other names as they are."""
    return _CARRIER_ZH.get(carrier or "", carrier or "")


MOBILE_PATTERN = rf"^(?:{_metadata().mobile.national_number_pattern})$"


def build_fixed_pattern() -> str:
    """Build FIXED_PATTERN from phonenumbers' data (slow: seconds); kept in fanzha/numbers_fixed.py.

    Regenerate after upgrading phonenumbers: ``python -m fanzha.numbers`` (a test checks it is current).
    """
    # Subscriber fixed lines are 0 + area code + a 7- or 8-digit local number starting 2-8. Which
    # lengths and leading digits an area uses comes from phonenumbers' fixed-line pattern, probed
    # once here, so the regex agrees with parse_number without the 1,000-character original.
    fixed_re = re.compile(rf"(?:{_metadata().fixed_line.national_number_pattern})")

    def ok(area: str, local_prefix: str, n: int) -> bool:
        rest = n - len(local_prefix)
        return all(fixed_re.fullmatch(area + local_prefix + f * rest) for f in "0952")

    groups: dict[str, list[str]] = {}  # local-number pattern -> area codes using it
    for code in sorted(area_codes()):
        area = code[1:]
        for n in (7, 8):
            if all(ok(area, d, n) for d in "2345678"):
                groups.setdefault(f"[2-8]\\d{{{n - 1}}}", []).append(area)
                continue
            twos, threes = [], []
            for t in range(20, 90):
                if ok(area, str(t), n):
                    twos.append(str(t))
                elif fixed_re.fullmatch(f"{area}{t}".ljust(len(area) + n, "5")) or any(
                    fixed_re.fullmatch(f"{area}{t}{d}".ljust(len(area) + n, "0")) for d in "0123456789"
                ):
                    threes += [f"{t}{d}" for d in "0123456789" if ok(area, f"{t}{d}", n)]
            if not twos and not threes:
                continue
            parts = []
            if twos:
                parts.append(f"(?:{'|'.join(twos)})\\d{{{n - 2}}}")
            if threes:
                parts.append(f"(?:{'|'.join(threes)})\\d{{{n - 3}}}")
            groups.setdefault("(?:" + "|".join(parts) + ")", []).append(area)
    alternatives = [f"(?:{'|'.join(areas)}){local}" for local, areas in groups.items()]
    return "^0(?:" + "|".join(alternatives) + ")$"


IOT_PATTERN = "^(?:" + "|".join(f"{p}\\d{{{13 - len(p)}}}" for p in IOT_PREFIXES) + ")$"
# Short service numbers (110, 10086, 12321, 95588, 96110 …), 400/800 numbers and city service
# numbers behind an area code (0715 12345); a coarse filter, parse_number has the last word.
SERVICE_PATTERN = r"^(?:1\d{2,5}|9[56]\d{3,4}|[48]00\d{7}|0(?:10|2\d|[3-9]\d\d)(?:1\d{2,5}|9\d{3,5}))$"
# Anything in international format that is not +86; a coarse filter (parse_number checks the plan).
INTERNATIONAL_PATTERN = r"^(?:\+|00)(?:[1-79]\d{6,14}|8[0-57-9]\d{5,13})$"



def _iot_ok(digits: str) -> str | None:
    if len(digits) != 13:
        return None
    for prefix, name in IOT_PREFIXES.items():
        if digits.startswith(prefix):
            return name
    return None


@lru_cache(maxsize=1)
def carrier_prefixes() -> dict[str, str]:
    """Mobile number block prefix (3 or 4 digits, without +86) → carrier, from phonenumbers' data."""
    from phonenumbers.carrierdata import CARRIER_DATA

    return {k[2:]: v["en"] for k, v in CARRIER_DATA.items() if k.startswith("86") and v.get("en")}


CARRIER_PREFIXES = carrier_prefixes()


def carrier_of_mobile(msisdn: str) -> str | None:
    """Carrier of an 11-digit mobile number by its block (longest prefix wins), fast."""
    table = CARRIER_PREFIXES
    for n in (4, 3, 2):
        hit = table.get(msisdn[:n])
        if hit:
            return hit
    return None


@lru_cache(maxsize=1)
def area_codes() -> frozenset[str]:
    """Known Chinese area codes with the trunk 0 (010, 020, 0715 …), from phonenumbers' geodata."""
    from phonenumbers.geodata import GEOCODE_DATA

    # Keys are 86 + area code (2 or 3 digits) + sometimes a local prefix; mobile blocks start with 1.
    return frozenset(
        "0" + k[2:] for k in GEOCODE_DATA if k.startswith("86") and (k == "8610" or (len(k) in (4, 5) and k[2] != "1"))
    )


from fanzha.numbers_fixed import FIXED_PATTERN  # noqa: E402  (generated by build_fixed_pattern)

_SEPARATORS = str.maketrans("", "", " -().\u00a0\t")


def parse_number(s: str, *, default_region: str = "CN") -> PhoneNumber:
    """Parse a phone number; raise :class:`NumberError` saying precisely what is wrong.

    >>> p = parse_number("0715-8123456")
    >>> (p.kind, p.number, p.area_code, p.city)
    ('fixed', '07158123456', '0715', '湖北省咸宁市')
    >>> parse_number("13307151234").carrier
    'China Telecom'
    """
    if s is None:
        raise NumberError("phone number is missing")
    text = str(s).strip().translate(_SEPARATORS)
    if not text:
        raise NumberError("phone number is empty")
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    bad = next((c for c in digits if not ("0" <= c <= "9")), None)
    if bad is not None:
        raise NumberError(f"character {bad!r} is not allowed in a phone number")
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]
    if plus:
        if digits.startswith("86"):
            return _parse_domestic(digits[2:], international_form=True)
        return _parse_international(digits)
    if default_region != "CN":
        return _parse_international(str(pn.country_code_for_region(default_region)) + digits, given=text)
    return _parse_domestic(digits, international_form=False)


def _geocoder():
    # Imported on first use: phonenumbers' geodata takes over a second to load.
    from phonenumbers import geocoder

    return geocoder


def _parse_international(digits: str, given: str | None = None) -> PhoneNumber:
    geocoder = _geocoder()
    try:
        num = pn.parse("+" + digits, None)
    except pn.NumberParseException as exc:
        raise NumberError(f"+{digits} is not an international number: {exc._msg}") from None
    region = pn.region_code_for_number(num)
    if region is None and not pn.region_codes_for_country_code(num.country_code):
        raise NumberError(f"country code +{num.country_code} is unknown")
    if not pn.is_valid_number(num):
        where = region or pn.region_code_for_country_code(num.country_code)
        raise NumberError(f"{given or '+' + digits} is not a valid number for country +{num.country_code} ({where})")
    return PhoneNumber(
        number=pn.format_number(num, pn.PhoneNumberFormat.E164),
        kind="international",
        country_code=num.country_code,
        region=region,
        carrier=pn_carrier.name_for_number(num, "en") or None,
        city=geocoder.description_for_number(num, "zh") or None,
        city_en=geocoder.description_for_number(num, "en") or None,
    )


def _cn(kind: str, number: str, num=None, **extra) -> PhoneNumber:
    if num is not None and kind in ("mobile", "fixed"):
        geocoder = _geocoder()
        extra.setdefault("city", geocoder.description_for_number(num, "zh") or None)
        extra.setdefault("city_en", geocoder.description_for_number(num, "en") or None)
    if extra.get("carrier"):
        extra["carrier_zh"] = _CARRIER_ZH.get(extra["carrier"])
    return PhoneNumber(number=number, kind=kind, country_code=86, region="CN", **extra)


def _parse_domestic(digits: str, *, international_form: bool) -> PhoneNumber:
    national = digits[1:] if digits.startswith("0") and not international_form else digits
    if not national:
        raise NumberError("phone number has no digits after the trunk prefix 0")
    if digits.startswith("0") or (international_form and national[0] in "23456789"):
        return _parse_fixed_or_service(national)
    if national[0] == "1":
        if len(national) == 11:
            num = pn.parse("+86" + national, None)
            if pn.is_valid_number(num) and pn.number_type(num) == pn.PhoneNumberType.MOBILE:
                return _cn("mobile", national, num, carrier=carrier_of_mobile(national))
            if national[:3] in ("106",):
                raise NumberError(f"{national[:4]} numbers are SMS service codes, not 11-digit lines")
            raise NumberError(f"prefix {national[:3]} is not an allocated mobile number block"
                              if not any(p.startswith(national[:3]) for p in CARRIER_PREFIXES)
                              else f"block {national[:4]} is not an allocated mobile number block")
        if len(national) == 13:
            name = _iot_ok(national)
            if name:
                return _cn("iot", national, carrier=name)
            raise NumberError(f"13-digit number {national[:5]}… is not in an IoT (物联网) number block")
        if len(national) <= 6 and not international_form and _is_short(national):
            return _cn("service", national)
        if len(national) > 1 and national[1] in "3456789" and 7 <= len(national) <= 12:
            raise NumberError(f"mobile number must have 11 digits, got {len(national)}")
        raise NumberError(f"{national} is not a valid service, mobile or IoT number")
    if national[0] == "9" and len(national) <= 6 and _is_short(national):
        return _cn("service", national)
    if national[0] in "48" and len(national) == 10:
        return _parse_fixed_or_service(national)
    raise NumberError(
        f"a {len(national)}-digit number without area code: fixed numbers need it (e.g. 0715 for 咸宁)"
    )


def _is_short(national: str) -> bool:
    try:
        num = pn.parse(national, "CN")
    except pn.NumberParseException:
        return False
    return shortnumberinfo.is_valid_short_number_for_region(num, "CN")


def _area_of(national: str) -> str | None:
    codes = area_codes()
    return next((national[:n] for n in (2, 3) if "0" + national[:n] in codes), None)


def _parse_fixed_or_service(national: str) -> PhoneNumber:
    if national[0] in "48" and len(national) == 10 and national[1:3] == "00":
        return _cn("service", national)
    area = _area_of(national)
    if area is None:
        raise NumberError(f"area code 0{national[:3]} is unknown")
    local = national[len(area):]
    num = pn.parse("+86" + national, None)
    valid = pn.is_valid_number(num)
    if valid and local[:1] in ("1", "9"):
        # City service numbers (0715 12345, 010 95588) dialled with the area code.
        return _cn("service", "0" + national, num)
    fixed_types = (pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if valid and local[:1] in "2345678" and pn.number_type(num) in fixed_types:
        return _cn("fixed", "0" + national, num, area_code="0" + area)
    if not 7 <= len(local) <= 8:
        raise NumberError(f"local number after area code 0{area} must have 7 or 8 digits, got {len(local)}")
    if local[0] in "019":
        raise NumberError(f"local number {local} after area code 0{area} must start with 2-8")
    other = [n for n in (7, 8) if n != len(local) and pn.is_valid_number(pn.parse(f"+86{area}{local[0] * n}", None))]
    if other:
        raise NumberError(f"area code 0{area} has {other[0]}-digit local numbers, got {len(local)}")
    raise NumberError(f"0{area} {local} is not an allocated fixed number")


def is_valid_number(s: str, *, kind: str | None = None) -> bool:
    try:
        p = parse_number(s)
    except NumberError:
        return False
    return kind is None or p.kind == kind


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name("numbers_fixed.py")
    target.write_text(
        '"""Generated by fanzha.numbers.build_fixed_pattern() from phonenumbers %s; do not edit."""\n\n'
        "FIXED_PATTERN = %r\n" % (pn.__version__, build_fixed_pattern())
    )
    print(f"wrote {target}")
