"""What the audit trail's codes mean, in the auditors' words (审计日志 page). Codes stay what is stored and hashed.

Every ``action`` code the platform records has a label here (a test reads the code base for them); an unknown
code (a plug-in's, an older release's) is shown as it is.
"""

from __future__ import annotations

from fanzha.casework.cases.enums import ACTION_LABELS as CASE_ACTION_LABELS

ACTION_LABELS = {
    # accounts and sessions
    "auth.login": "登录", "auth.logout": "退出登录", "auth.login_failed": "登录失败", "auth.locked": "账号锁定",
    "user.create": "创建账号", "user.enable": "启用账号", "user.disable": "停用账号", "user.password": "修改密码",
    "user.password_failed": "修改密码失败", "user.roles": "调整角色", "user.units": "调整所属单位",
    "user.unlock": "解除锁定", "token.issue": "签发接口令牌", "token.revoke": "吊销接口令牌",
    # personal data and the trail itself
    "personal.unmask": "查看明文个人信息", "line.lookup": "号码查询", "line.class": "号码分类（行业/政企）",
    "audit.search": "检索审计日志",
    # counter gate and blacklist
    "onboarding.check": "开户核验", "onboarding.step": "核验步骤记录", "onboarding.notice_read": "查看承诺书",
    "onboarding.notice_signed": "签署承诺书", "onboarding.review": "开户二级稽核",
    "onboarding.recheck_refused": "开户复核拒绝（名单或上限）", "onboarding.recheck_escalated": "开户复核转二级稽核",
    "blacklist.import": "导入惩戒名单", "blacklist.request": "申请列入名单", "blacklist.decide": "名单审批",
    "blacklist.expire": "名单到期", "blacklist.lift": "解除名单", "blacklist.measure_proposed": "名单号码拟处置",
    # alerts, cases, measures, appeals
    "alert.raise": "生成告警", "case.open": "立案", "case.line_withdrawn": "申诉成立，号码撤出案件",
    **{f"case.{action.value}": label for action, label in CASE_ACTION_LABELS.items()},
    "measure.order": "下发处置指令", "measure.done": "处置指令已执行", "measure.retry": "重发处置指令",
    "appeal.file": "提交申诉", "appeal.decide": "申诉裁决", "appeal.reverify": "申诉二次核验",
    # 24×7 monitoring
    "monitor.batch": "实时监测批次", "monitor.optout": "受害人预警退订",
    # tracing
    "trace.run": "溯源分析", "trace.view": "查看溯源结果", "trace.case": "溯源号码立案",
    "trace.report.request": "申请溯源报告", "trace.report.read": "查看溯源报告",
    # police co-operation
    "police.query.submit": "提交协查请求", "police.query.approve": "批准协查请求", "police.query.refuse": "拒绝协查请求",
    "police.query.view": "查看协查结果", "police.query.view_refused": "协查结果不可查看",
    "police.batch.create": "创建线索批次", "police.batch.export": "导出线索批次", "police.batch.download": "下载线索批次",
    "police.batch.feedback": "录入公安反馈",
    # public desk and market regulation
    "report.intake": "受理12321举报", "report.check": "核查举报", "tip.intake": "受理市场监管线索",
    "tip.triage": "研判市场监管线索", "warning.create": "起草消费警示", "warning.edit": "修改消费警示",
    "warning.publish": "发布消费警示", "warning.withdraw": "撤回消费警示",
    # supervision and jobs
    "kpi.export": "导出督导数据", "kpi.report": "生成督导报表", "job.download": "下载任务结果",
}  # fmt: skip

SUBJECT_TYPE_LABELS = {
    "user": "账号", "token": "令牌", "line": "号码", "msisdn": "号码", "person": "人员", "cell": "基站小区",
    "case": "案件", "alert": "告警", "onboarding_check": "开户核验", "blacklist": "惩戒名单",
    "blacklist_entry": "名单条目", "police_query": "协查请求", "clue_batch": "线索批次", "batch": "批次",
    "public_report": "12321举报", "market_tip": "市场监管线索", "consumer_warning": "消费警示", "trace_run": "溯源分析",
    "trace_report": "溯源报告", "job": "任务", "file": "文件", "panel": "看板",
}  # fmt: skip


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def subject_type_label(code: str | None) -> str:
    return SUBJECT_TYPE_LABELS.get(code or "", code or "")
