"""Node kinds and edge types of the association graph, with the Chinese wording shown in reasons."""

from __future__ import annotations

NODE_KINDS = ("line", "person", "device", "cell")
NODE_PREFIX = {"line": "L:", "person": "P:", "device": "D:", "cell": "C:"}
NODE_ZH = {"line": "号码", "person": "证件", "device": "设备", "cell": "基站"}

# Edge types, stored as a small integer in the compiled graph (index in this tuple).
EDGE_TYPES = ("same_id", "device", "counter", "contact", "cell")
EDGE_ZH = {
    "same_id": "同一证件",
    "device": "共用设备(IMEI)",
    "counter": "同一营业厅同一店员同时段开户",
    "contact": "通话联系",
    "cell": "同一基站",
}
# How a walker at a node splits its step between edge types present there (before splitting within a
# type by edge weight). Typed splitting keeps a line with 800 call contacts from drowning its one ID
# and its handset; cells are weak ties (hundreds of lines share one).
TYPE_PRIOR = {"same_id": 1.0, "device": 1.0, "counter": 1.0, "contact": 0.5, "cell": 0.3}


def type_code(name: str) -> int:
    try:
        return EDGE_TYPES.index(name)
    except ValueError:
        raise ValueError(f"unknown edge type {name!r}; expected one of {', '.join(EDGE_TYPES)}") from None
