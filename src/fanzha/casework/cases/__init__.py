"""Cases (案件) and the three-level review (三级稽核) state machine; see ``enums.TRANSITIONS``."""
