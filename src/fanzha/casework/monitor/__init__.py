"""实时监测 Monitoring: what the 24×7 monitor records in the application database — files it took in (with
their lag from arrival to alerts), the alerts it raised (exactly once per subject and detector), and the
victim early-warning list (鹰眼-like) with opt-outs. The monitor loop itself is :mod:`fanzha.monitor`."""
