"""What reaches the platform from outside the network: 12321 public reports (from victims, and some
against legitimate busy numbers), market-regulation tips about elderly-care fraud, the police blacklist."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fanzha.sim.rand import stream
from fanzha.sim.tactics import by_family
from fanzha.sim.text import iso_dates, iso_times
from fanzha.sim.world import DAY, R, World

REPORT_CHANNELS = (["sms", "call", "web", "app"], [0.35, 0.25, 0.2, 0.2])
REPORT_TEMPLATES = {
    "冒充公检法": ["自称{city}公安局民警，说我涉嫌洗钱案，要求把钱转到安全账户，号码{num}",
               "对方称我的身份证被冒用开户涉案，要我下载会议软件配合调查，来电号码{num}"],
    "刷单返利": ["{num}打电话拉我进群做刷单任务，先返了佣金，后面垫付的{amount}元提不出来",
             "接到{num}电话说点赞关注就能赚钱，后来要求充值做任务，被骗{amount}元"],
    "贷款诈骗": ["{num}来电称可以无抵押低息贷款，先交了{amount}元手续费和保证金后联系不上",
             "对方用{num}说我征信有问题需要刷流水才能放款，转了{amount}元"],
    "冒充客服": ["{num}自称快递客服说包裹丢失要理赔，让我开通备用金，损失{amount}元",
             "自称电商平台客服的{num}说要关闭百万保障服务，否则每月扣费，被骗{amount}元"],
    "养老诈骗": ["{num}多次给我家老人打电话推销保健品，说能治高血压糖尿病，花了{amount}元",
             "{num}打电话邀请老人参加免费体检和健康讲座，现场高价卖保健品{amount}元"],
    "骚扰电话": ["{num}一天打好几次推销电话，很烦，请处理", "{num}频繁来电推销，挂断后又打来"],
}
SCENARIO_CATEGORIES = {
    "fraud_caller": ["冒充公检法", "刷单返利", "贷款诈骗", "冒充客服"],
    "elderly_care": ["养老诈骗"],
    "simbox": ["冒充公检法", "刷单返利", "冒充客服"],
    "bulk_opening": ["刷单返利", "贷款诈骗", "冒充客服"],
}
# Banks that hide (fanzha.sim.tactics_banks) make the same calls as any SIM bank.
SCENARIO_CATEGORIES.update({t.name: SCENARIO_CATEGORIES["simbox"] for t in by_family("simbox")})
# Market-regulation tip categories (data contract) with their Chinese meaning.
TIP_CATEGORIES = {
    "health_claims": "保健食品虚假宣传（针对老年人）",
    "fake_promotion": "会议营销、讲座、免费体检虚假宣传",
    "counterfeit": "假冒伪劣食品、保健品、药品",
    "pyramid_selling": "非法直销、传销",
    "other_elderly_harm": "其他侵害老年消费者权益",
}
TIP_CHANNELS = (["12345", "12315", "email", "on_site", "web"], [0.35, 0.35, 0.1, 0.1, 0.1])
TIP_TEMPLATES = {
    "health_claims": "{subject}打电话给我父亲推销“特效”保健品，说能降血糖不用吃药，已买了{amount}元。",
    "fake_promotion": "{subject}在{town}搞免费体检和健康讲座，送鸡蛋吸引老人，现场推销高价理疗仪。",
    "counterfeit": "{subject}卖给老人的“进口”保健品包装上没有批准文号，怀疑是假货。",
    "pyramid_selling": "{subject}让老人交钱入会发展下线，承诺高额返利，疑似传销。",
    "other_elderly_harm": "{subject}以“以房养老”名义让老人签合同，老人不清楚合同内容。",
}
COMPANY_WORDS = ["康寿", "福寿", "百年", "颐和", "松鹤", "仁心", "养生", "益康", "金色夕阳", "长青"]
COMPANY_KINDS = ["健康咨询有限公司", "生物科技有限公司", "养生馆", "保健品经营部", "养老服务中心"]


def reports_table(world: World, victims: dict[str, np.ndarray], harass: dict[str, np.ndarray]) -> pa.Table:
    cfg = world.cfg
    rng = stream(world.seed, "reports")
    ln = world.lines
    rows = []
    # Victims: one report per (victim, number), filed some time after the call.
    if len(victims["line"]):
        key = victims["line"].astype(np.int64) * len(world.node_msisdn) + victims["peer"]
        _, first = np.unique(key, return_index=True)
        pick = first[rng.random(len(first)) < cfg.reports.report_prob]
        delay = rng.lognormal(np.log(cfg.reports.delay_days_median * DAY), 0.8, len(pick)).astype(np.int64)
        for i, d in zip(pick, delay):
            scen = ln.scenario[victims["line"][i]]
            rows.append((int(victims["t"][i] + d), int(victims["line"][i]), int(victims["peer"][i]),
                         str(rng.choice(SCENARIO_CATEGORIES.get(scen, ["刷单返利"])))))
    # Annoyed customers report legitimate busy numbers too (hard negatives for report triage).
    n_false = int(round(cfg.reports.false_report_per_10k_lines * world.n_lines / 1e4))
    if n_false and len(harass["line"]):
        pick = rng.integers(0, len(harass["line"]), n_false)
        for i in pick:
            rows.append((int(harass["t"][i] + rng.integers(600, 3 * DAY)), int(harass["line"][i]),
                         int(harass["peer"][i]), "骚扰电话"))
    # The files are what the operator holds at the end of the window: reports filed later have not arrived.
    rows = sorted(r for r in rows if r[0] < world.days * DAY)
    cities = [c.name for c in cfg.geography.counties]
    content = []
    for t, line, peer, cat in rows:
        tpl = REPORT_TEMPLATES[cat][int(rng.integers(0, len(REPORT_TEMPLATES[cat])))]
        content.append(tpl.format(num=world.node_msisdn[line], city=cities[int(rng.integers(0, len(cities)))],
                                  amount=int(rng.choice([800, 2000, 5000, 12000, 36000, 98000]))))
    n = len(rows)
    t = np.array([r[0] for r in rows], dtype=np.int64)
    return pa.table({
        "report_id": [f"R12321-{world.start:%Y%m}-{i + 1:06d}" for i in range(n)],
        "received_at": iso_times(world.start, t) if n else np.array([], str),
        "channel": np.array(REPORT_CHANNELS[0])[rng.choice(4, size=n, p=REPORT_CHANNELS[1])] if n else [],
        "reported_number": [world.node_msisdn[r[1]] for r in rows],
        "reporter_number": [world.node_msisdn[r[2]] for r in rows],
        "category": [r[3] for r in rows],
        "content": content,
    }, schema=pa.schema([(c, pa.string()) for c in ("report_id", "received_at", "channel", "reported_number",
                                                    "reporter_number", "category", "content")]))


def tips_table(world: World) -> pa.Table:
    cfg = world.cfg
    rng = stream(world.seed, "tips")
    ln = world.lines
    n = max(3, int(round(cfg.tips.per_10k_lines * world.n_lines / 1e4)))
    elderly = [np.flatnonzero((ln.ring == r) & (ln.role == R["elderly_care"])) for r, ring in enumerate(world.rings)
               if ring["kind"] == "elderly_care"]
    elderly = [e for e in elderly if len(e)]
    sales = np.flatnonzero(ln.role == R["sales"])
    towns = [c.name for c in cfg.geography.counties]
    cats = list(TIP_CATEGORIES)
    span = world.days * DAY
    rows = []
    for i in range(n):
        cat = cats[int(rng.choice(len(cats), p=[0.35, 0.25, 0.15, 0.1, 0.15]))]
        subject = f"咸宁{COMPANY_WORDS[int(rng.integers(0, len(COMPANY_WORDS)))]}" \
                  f"{COMPANY_KINDS[int(rng.integers(0, len(COMPANY_KINDS)))]}"
        numbers, t = "", int(rng.integers(0, span))
        if rng.random() < cfg.tips.with_numbers:
            if elderly and rng.random() < 0.7:
                ring = elderly[int(rng.integers(0, len(elderly)))]
                chosen = rng.choice(ring, size=min(len(ring), int(rng.integers(1, 4))), replace=False)
                numbers = " ".join(world.node_msisdn[chosen])
                t = int(rng.integers(min(span - 1, max(0, int(ln.act_from[chosen].min()))), span))
            elif len(sales):
                numbers = str(world.node_msisdn[sales[int(rng.integers(0, len(sales)))]])
        contact = str(world.node_msisdn[int(rng.integers(world.ext.start, world.ext.stop))]) if rng.random() < 0.6 else ""
        text = TIP_TEMPLATES[cat].format(subject=subject, town=towns[int(rng.integers(0, len(towns)))],
                                         amount=int(rng.choice([980, 2680, 6800, 19800])))
        if numbers:
            text += f"联系电话：{numbers}"
        rows.append((t, cat, subject, numbers, text, contact))
    rows.sort()
    t = np.array([r[0] for r in rows], dtype=np.int64)
    return pa.table({
        "tip_id": [f"SCJG-{world.start:%Y%m}-{i + 1:05d}" for i in range(n)],
        "received_at": iso_times(world.start, t),
        "channel": np.array(TIP_CHANNELS[0])[rng.choice(5, size=n, p=TIP_CHANNELS[1])],
        "category": [r[1] for r in rows],
        "subject_name": [r[2] for r in rows],
        "phone_numbers": [r[3] or None for r in rows],
        "content": [r[4] for r in rows],
        "reporter_contact": [r[5] or None for r in rows],
    }, schema=pa.schema([(c, pa.string()) for c in ("tip_id", "received_at", "channel", "category", "subject_name",
                                                    "phone_numbers", "content", "reporter_contact")]))


def blacklist_table(world: World) -> pa.Table:
    """Police 断卡 decisions: some fraud-ring IDs (the gate should have refused them), some earlier card
    sellers who are still customers, and people who never were."""
    cfg = world.cfg
    rng = stream(world.seed, "blacklist")
    ln, persons = world.lines, world.persons
    n = max(3, int(round(cfg.blacklist.per_10k_lines * world.n_lines / 1e4)))
    ring_owners = np.unique(ln.person[(ln.ring >= 0) & (ln.role != R["resold"])])
    ring_pick = ring_owners[rng.random(len(ring_owners)) < cfg.blacklist.fraud_owner_share]
    others = np.setdiff1d(np.unique(ln.person[ln.role == R["normal"]]), ring_owners)
    k = max(0, n - len(ring_pick))
    other_pick = rng.choice(others, size=min(k, len(others)), replace=False) if len(others) else np.array([], int)
    people = np.concatenate([ring_pick, other_pick]).astype(np.int64)
    m = len(people)
    # Decisions up to six years back: some bans have run out.
    decided = -rng.integers(30, 6 * 365, m)
    keep = []
    for p in people:
        own = np.flatnonzero((ln.person == p) & (ln.role != R["normal"]) | (ln.person == p) & ln.primary)
        keep.append(str(world.node_msisdn[own[0]]) if len(own) and rng.random() < 0.5 else None)
    year = (np.datetime64(world.start.isoformat(), "D") + decided.astype("timedelta64[D]")).astype("datetime64[Y]")
    return pa.table({
        "id_no": persons.id_no[people],
        "name": persons.name[people],
        "case_no": [f"咸公刑决字〔{y}〕{i + 101:04d}号" for i, y in enumerate(year.astype(str))],
        "decided_on": iso_dates(world.start, decided),
        "ban_years": pa.array(np.where(rng.random(m) < 0.9, 5, 3), type=pa.int32()),
        "keep_msisdn": pa.array(keep, type=pa.string()),
    })
