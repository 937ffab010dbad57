"""The standalone monitor's own HTTP endpoint (``fanzha monitor --port``): ``/metrics`` (Prometheus text)
and ``/health`` (JSON). Under ``fanzha serve`` the web application serves both instead."""

from __future__ import annotations

import json
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # scrapes every few seconds: not worth a log line each
        pass


def serve_metrics(monitor, host: str, port: int) -> WSGIServer:
    metrics_app = make_wsgi_app()

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/health":
            body = json.dumps(monitor.health(), default=str).encode()
            status = "200 OK" if monitor.health()["status"] != "stalled" else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return metrics_app(environ, start_response)

    server = make_server(host, port, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="monitor-metrics", daemon=True).start()
    return server
