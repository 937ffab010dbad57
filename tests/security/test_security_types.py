"""User text input: control characters and lone surrogates are refused before they reach the database."""

import pydantic
import pytest

from fanzha.casework.lookup.schemas import LookupQuery, UnmaskRequest


@pytest.mark.parametrize("bad", ["a\x00b", "\x1b[31m", "x\ud800", "\x7f"])
def test_text_refuses_control_and_surrogates(bad):
    with pytest.raises(pydantic.ValidationError):
        LookupQuery(msisdn=bad)
    with pytest.raises(pydantic.ValidationError):
        UnmaskRequest(ref="r", purpose="事由 " + bad)


def test_text_keeps_ordinary_input():
    assert UnmaskRequest(ref="r", purpose="二级稽核\t工单 A-17\n复核").purpose.startswith("二级稽核")
    assert LookupQuery(id_no="42120219900101123x").id_no == "42120219900101123X"
