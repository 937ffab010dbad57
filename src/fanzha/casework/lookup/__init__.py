"""Line lookup (号码查询) over the registry: the model for how personal data is shown.

Masked by default; the clear values need ``Permission.PERSONAL_UNMASK`` plus a stated purpose, and each
lookup and each unmasking is an audit event. A separate adapter over the registry tables (it reads them,
never writes), so the registry package stays its owner's.
"""
