"""Every action the platform records reads in words on the 审计日志 page (codes stay what is stored)."""

from __future__ import annotations

import re
from pathlib import Path

import fanzha
from fanzha.casework.audit.labels import ACTION_LABELS, action_label, subject_type_label
from fanzha.casework.cases.enums import CaseAction

SRC = Path(fanzha.__file__).parent
# A string literal like "police.query.view" on a line that passes or sets an ``action`` (f-strings are the two
# families checked below); form fields named ``action`` are not audit actions.
_ACTION_LINE = re.compile(r"\baction\s*=\s*(?!f\")")
_CODE = re.compile(r"(?<![f\w])\"([a-z_]+(?:\.[a-z_]+)+)\"")


def recorded_actions() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if _ACTION_LINE.search(line) and "Form(" not in line:
                found.update(_CODE.findall(line))
    return found


def test_every_recorded_action_has_a_label():
    found = recorded_actions()
    assert {"auth.login", "personal.unmask", "onboarding.check", "user.disable", "warning.withdraw"} <= found
    assert sorted(found - set(ACTION_LABELS)) == []
    # the two f-string families: case transitions and the police approver's decision
    assert all(f"case.{a.value}" in ACTION_LABELS for a in CaseAction)
    assert {"police.query.approve", "police.query.refuse"} <= set(ACTION_LABELS)


def test_labels_and_unknown_codes():
    assert action_label("auth.login") == "登录" and action_label("case.l2_approve") == "二级审批：批准处置"
    assert action_label("plugin.thing") == "plugin.thing"
    assert subject_type_label("msisdn") == "号码" and subject_type_label(None) == "" and subject_type_label("x") == "x"
