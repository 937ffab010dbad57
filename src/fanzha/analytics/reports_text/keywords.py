"""Keyword-rule classifier: the transparent fallback used when no trained model is configured.

How it decides (documented for the people who read its output):
- each fraud class has a list of indicative words with weights (below); a text scores the sum of the
  weights of the distinct words it contains;
- the class with the highest score wins if that score reaches ``MIN_SCORE``; otherwise the text is
  ``normal`` — a report that names none of the typical scripts is left for a person to read;
- operator/bank notice markers (``NORMAL_MARKERS``: 退订, 【…】 signatures, 验证码 …) add to the normal
  score, so a forwarded marketing SMS is not called fraud for one matching word;
- probabilities are a softmax of the scores (temperature ``TEMPERATURE``): a rough confidence only.
The matched words are returned as the indicative terms, so every decision can be checked by eye.
"""

from __future__ import annotations

import math
import re

MIN_SCORE = 2.0
TEMPERATURE = 1.5

RULES: dict[str, dict[str, float]] = {
    "police_impersonation": {
        "公安": 2, "警官": 2, "警察": 2, "民警": 2, "派出所": 2, "刑警": 2, "检察": 2, "法院": 2,
        "公检法": 3, "通缉": 2, "逮捕": 2, "拘留": 2, "传票": 2, "涉嫌": 1.5, "洗钱": 2,
        "犯罪": 1, "立案": 1.5, "案件": 1, "安全账户": 3, "资金清查": 3, "清查": 1, "冻结": 1,
        "社保": 1.5, "医保": 1.5, "税务": 1.5, "政府": 1, "机关": 1, "保密": 1, "调查": 1,
    },
    "loan_credit": {
        "贷款": 2.5, "借款": 2, "网贷": 2, "放款": 2, "额度": 1.5, "征信": 2, "信用卡": 2,
        "办卡": 1.5, "提额": 2, "利息": 1, "低息": 2, "无抵押": 2, "解冻": 1, "保证金": 1.5,
        "流水": 1.5, "还款": 1, "分期": 1, "审核": 0.5, "验资": 2, "手续费": 1, "信用": 1,
    },
    "fake_customer_service": {
        "客服": 2.5, "退款": 2, "退货": 2, "快递": 1.5, "理赔": 2, "赔偿": 1.5, "订单": 1.5,
        "淘宝": 1.5, "支付宝": 1, "京东": 1, "百万保障": 3, "会员": 1, "扣费": 2, "自动扣": 2,
        "取消": 1, "商品": 1, "质量问题": 2, "物流": 1.5, "注销": 1.5, "学生账户": 2, "备用金": 1.5,
        "双倍": 1, "包裹": 1.5, "丢失": 1,
    },
    "acquaintance_impersonation": {
        "领导": 2.5, "老板": 2, "老师": 1.5, "校长": 2, "主任": 1.5, "局长": 2, "经理": 1, "董事长": 2,
        "同学": 1.5, "老同学": 2, "朋友": 1, "亲戚": 1.5, "熟人": 2, "换号": 2, "新号": 2,
        "加我微信": 2, "加一下": 1, "帮忙": 1.5, "帮我": 1, "急用": 2, "借点钱": 2, "垫付": 1.5,
        "不方便接": 2, "转账给": 1, "猜猜我是谁": 3, "我是你": 1.5,
    },
}

NORMAL_MARKERS: dict[str, float] = {"退订": 3, "验证码": 2, "话费": 1, "流量": 1, "套餐": 1, "积分": 1}
_SIGNATURE = re.compile(r"^【[^】]{1,12}】|【[^】]{1,12}】$")


def score(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per-class score and the words that produced it."""
    t = text or ""
    scores: dict[str, float] = {}
    hits: dict[str, list[str]] = {}
    for cls, words in RULES.items():
        found = [w for w in words if w in t]
        hits[cls] = sorted(found, key=lambda w: -words[w])
        scores[cls] = float(sum(words[w] for w in found))
    normal_hits = [w for w in NORMAL_MARKERS if w in t]
    normal = sum(NORMAL_MARKERS[w] for w in normal_hits)
    if _SIGNATURE.search(t.strip()):
        normal += 2
        normal_hits.append("【署名】")
    best_fraud = max(scores.values())
    # Below MIN_SCORE no fraud class is credible: normal takes at least that score.
    scores["normal"] = float(max(normal, MIN_SCORE if best_fraud < MIN_SCORE else 0.0))
    hits["normal"] = normal_hits
    return scores, hits


def classify(text: str) -> tuple[str, dict[str, float], list[str]]:
    """(class code, probabilities, indicative terms) for one text."""
    scores, hits = score(text)
    label = max(scores, key=lambda c: (scores[c], c == "normal"))
    m = max(scores.values())
    exp = {c: math.exp((s - m) / TEMPERATURE) for c, s in scores.items()}
    total = sum(exp.values())
    probs = {c: v / total for c, v in exp.items()}
    return label, probs, hits[label]
