"""What the gate needs from an ID number: valid? birth date, age, home division.

Uses ``fanzha.ids.parse_id`` (the one ID parser, with GB/T 2260 divisions) when present; until it is on main,
a local check of length, digits, birth date and check character stands in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class IdFacts:
    number: str
    birth_date: date
    division_code: str
    division_name: str | None
    sex: str

    def age(self, on: date) -> int:
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class InvalidId(ValueError):
    """The ID number is not valid; the message is plain Chinese for the clerk."""


def parse(id_no: str, *, today: date | None = None) -> IdFacts:
    from fanzha import ids

    number = (id_no or "").strip().upper()
    if len(number) != 18:
        raise InvalidId(f"证件号码应为18位，实际{len(number)}位")
    if not (number[:17].isascii() and number[:17].isdigit()) or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidId("证件号码含非法字符")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidId("证件号码中的出生日期不存在") from None
    if born < date(1900, 1, 1) or born > (today or date.today()):
        raise InvalidId("证件号码中的出生日期不合理")
    if ids.check_char(number[:17]) != number[17]:
        raise InvalidId("证件号码校验位错误（可能输入有误）")
    division_name = None
    parse_id = getattr(ids, "parse_id", None)
    if parse_id is not None:  # the registry's parser also knows every GB/T 2260 division
        try:
            division_name = parse_id(number).division_name
        except ValueError:
            raise InvalidId(f"证件号码中的地区代码 {number[:6]} 不存在") from None
    return IdFacts(number=number, birth_date=born, division_code=number[:6], division_name=division_name,
                   sex="M" if int(number[16]) % 2 else "F")  # fmt: skip
