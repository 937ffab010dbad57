"""Police desk vocabulary: what a query may cover (scope), its states, the batch states."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What data an approved query shows (查询范围). Nothing outside the approved scopes is ever computed."""

    OWNER = "owner"  # 机主身份
    LINES = "lines"  # 同证件名下号码
    CALLS = "calls"  # 近期通话摘要
    DEVICES = "devices"  # 使用设备（IMEI）
    OPENING = "opening"  # 开户营业厅与营业员
    ALERTS = "alerts"  # 涉诈告警与案件


SCOPE_LABELS = {
    Scope.OWNER: "机主身份", Scope.LINES: "同证件名下号码", Scope.CALLS: "近期通话摘要",
    Scope.DEVICES: "使用设备（IMEI）", Scope.OPENING: "开户营业厅与营业员", Scope.ALERTS: "涉诈告警与案件",
}  # fmt: skip


class SubjectType(StrEnum):
    MSISDN = "msisdn"  # 号码
    ID_NO = "id_no"  # 证件号码


SUBJECT_LABELS = {SubjectType.MSISDN: "号码", SubjectType.ID_NO: "证件号码"}


class QueryStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


QUERY_STATUS_LABELS = {QueryStatus.PENDING: "待审批", QueryStatus.APPROVED: "已批准", QueryStatus.REFUSED: "已拒绝"}
# An approved query also *expires* (valid_until passed); that is read from the time, not stored as a state.
QUERY_TRANSITIONS = {
    QueryStatus.PENDING: frozenset({QueryStatus.APPROVED, QueryStatus.REFUSED}),
    QueryStatus.APPROVED: frozenset(),
    QueryStatus.REFUSED: frozenset(),
}

# Legal bases officers usually cite (offered as suggestions; any basis of at least a few characters is taken).
LEGAL_BASES = (
    "《中华人民共和国刑事诉讼法》第五十四条（向有关单位收集、调取证据）",
    "《中华人民共和国反电信网络诈骗法》第十九条、第二十条",
    "《公安机关办理刑事案件程序规定》第六十二条（调取证据通知书）",
    "《中华人民共和国个人信息保护法》第十三条第一款第三项（履行法定职责）",
)


class BatchStatus(StrEnum):
    DRAFT = "draft"  # lines selected, package not yet written
    EXPORTED = "exported"  # package written; files and their hashes are fixed


BATCH_STATUS_LABELS = {BatchStatus.DRAFT: "草稿", BatchStatus.EXPORTED: "已导出移交"}


class SourceKind(StrEnum):
    """Where a line of a clue batch came from."""

    CASE = "case"  # 案件
    SIMBANK = "simbank"  # 猫池/GOIP 设备组（simbox 告警）
    LINE = "line"  # 单独指定的号码


SOURCE_LABELS = {SourceKind.CASE: "案件", SourceKind.SIMBANK: "猫池设备组", SourceKind.LINE: "指定号码"}
