"""A loopback HTTP server for tests: each GET path (query string aside) answers a canned
(status, JSON body) from a dict the test may change while it runs; the queries seen are kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Routes = dict[str, tuple[int, Any]]


class JsonServer:
    def __init__(self, routes: Routes | None = None, missing: tuple[int, Any] = (404, {"error": "not_found"})) -> None:
        self.routes: Routes = routes if routes is not None else {}
        self.missing = missing
        self.queries: dict[str, dict[str, list[str]]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.queries[parts.path] = parse_qs(parts.query)
                status, body = server.routes.get(parts.path, server.missing)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@contextmanager
def json_server(routes: Routes | None = None, missing: tuple[int, Any] = (404, {"error": "not_found"})
                ) -> Iterator[JsonServer]:
    server = JsonServer(routes, missing)
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
