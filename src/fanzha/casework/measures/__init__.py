"""Measures on lines (处置): restrict outgoing, suspend (停机), re-verification (二次实名核验), shut down (关停),
restore — carried out as idempotent orders through a BSS adapter (see ``adapters``).

Entry points for other domains::

    from fanzha.casework.measures.service import propose_measure   # create orders (caller's transaction)
    from fanzha.casework.measures.dispatch import dispatch_orders   # send them, after commit
"""
