"""Node kinds and edge types of the association graph, with the Chinese wording shown in reasons."""

from __future__ import annotations

NODE_KINDS = ("line", "person", "device", "cell")
NODE_PREFIX = {"line": "L:", "person": "P:", "device": "D:", "cell": "C:"}
NODE_ZH = {"line": "号码", "person": "证件", "device": "设备", "cell": "基站"}

# Edge types, stored as a small integer in the compiled graph (index in this tuple).
# New types go at the end, so graph folders built before keep their codes.
EDGE_TYPES = ("same_id", "device", "counter", "contact", "cell", "co_location", "device_seq")
EDGE_ZH = {
    "same_id": "同一证件",
    "device": "共用设备(IMEI)",
    "counter": "同一营业厅同一店员同时段开户",
    "contact": "通话联系",
    "cell": "同一基站",
    "co_location": "同一时段同一基站共同出现",
    "device_seq": "先后使用同一终端",
}
# How a walker at a node splits its step between edge types present there (before splitting within a
# type by edge weight). Typed splitting keeps a line with 800 call contacts from drowning its one ID
# and its handset; cells are weak ties (hundreds of lines share one). Co-location is specific (only
# pairs that spent most of their active hours together pass, see edges.py), so it weighs as a device.
TYPE_PRIOR = {"same_id": 1.0, "device": 1.0, "counter": 1.0, "contact": 0.5, "cell": 0.3, "co_location": 1.0,
              "device_seq": 1.0}


def hop_zh(edge_type: str, evidence: dict | None = None) -> str:
    """The Chinese words for one edge in a reason, with its count where the count is the point."""
    ev = evidence if isinstance(evidence, dict) else {}
    if edge_type == "co_location" and ev.get("cell_hours"):
        days = f"，{ev['days']} 天" if ev.get("days") else ""
        model = "，同型号终端" if ev.get("same_model") else ""
        return f"{EDGE_ZH[edge_type]} {ev['cell_hours']} 次（{ev.get('cells', 1)} 个基站{days}{model}）"
    return EDGE_ZH[edge_type]


def type_code(name: str) -> int:
    try:
        return EDGE_TYPES.index(name)
    except ValueError:
        raise ValueError(f"unknown edge type {name!r}; expected one of {', '.join(EDGE_TYPES)}") from None
