"""Demo step of the public desk: the simulator's ``reports.csv`` and ``tips.csv`` through the real importers,
and one published consumer warning, so the desks and the dashboard have data. Safe to run twice."""

from __future__ import annotations

from pathlib import Path

from fanzha.config import Settings

WARNING_TITLE = "警惕“免费体检”“健康讲座”背后的高价保健品"
WARNING_BODY = """近期，我市多地出现以“免费体检”“健康讲座”“送鸡蛋”为名，吸引老年人参加，再在现场高价推销保健品、理疗仪的情况。

保健食品不是药物，不能治疗疾病。凡是宣称“包治百病”“不用吃药”“根治高血压、糖尿病”的，都是虚假宣传。

请老年朋友做到：不参加来历不明的讲座和体检，不当场交钱，不把身份证、银行卡交给别人。买东西前先和子女商量。

如果遇到上述情况，请拨打 12315 或 12345 投诉举报，也可以在本网站“我要举报”页面填写。被骗请立即拨打 110。"""


def run_public_desk_demo(settings: Settings, sim_dir: Path) -> dict:
    """Import ``sim_dir/reports.csv`` and ``sim_dir/tips.csv`` (or Parquet / folders), publish one warning."""
    from sqlalchemy import select

    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.context import work_context
    from fanzha.casework.market import warnings
    from fanzha.casework.market.importer import import_tips
    from fanzha.casework.market.models import ConsumerWarning
    from fanzha.casework.reports.importer import import_reports
    from fanzha.db import engine_for, session_scope

    engine = engine_for(settings.db_url)
    actor = Principal.system("demo")
    reports = import_reports(engine, path=_input(sim_dir, "reports"), actor=actor, settings=settings)
    tips = import_tips(engine, path=_input(sim_dir, "tips"), actor=actor, settings=settings)
    ctx = work_context(settings)
    with session_scope(engine) as db:
        published = db.execute(select(ConsumerWarning.id).where(ConsumerWarning.title == WARNING_TITLE)).first()
        if published is None:
            w = warnings.save(db, ctx=ctx, actor=actor, title=WARNING_TITLE, body=WARNING_BODY,
                              category="fake_promotion")  # fmt: skip
            warnings.set_published(db, ctx=ctx, actor=actor, warning_id=w.id, publish=True)
    return {"reports": reports, "tips": tips}


def _input(folder: Path, name: str) -> Path:
    for candidate in (folder / f"{name}.csv", folder / f"{name}.parquet", folder / name):
        if candidate.exists():
            return candidate
    return folder / f"{name}.csv"  # the importer reports it missing
