"""The API under a failing PostgreSQL catalog (issue 16 item 5), on the session's stack: the API
reaches PostgreSQL through a TCP proxy of this test that is paused for OUTAGE_S seconds (it keeps
every connection open and accepts new ones but forwards no byte: a stalled network, which no
server-side timeout sees). The assertions are those of the SQLite lock test
(tests/integration/test_api_catalog_outage.py); here a refresh or probe can hang below the driver,
so the API must abandon it and start over with a new connection, which connect_timeout bounds.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

from ais.catalog import ensure_tables, load_catalog
from ais.iceberg_io import merge_rows
from ais.tables import PREDICTIONS
from tests.integration.test_api_catalog_outage import FIRST_HOUR, outage_under_load, prediction, serve
from tests.stack.conftest import Stack


class StallingProxy:
    """A loopback TCP proxy to ``target``; :meth:`pause` stops every byte in both directions
    (connections stay open, new ones are accepted), :meth:`resume` lets the held bytes through."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self.flowing.wait()
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._sockets += [client, upstream]
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._closed = True
        self.flowing.set()
        self._listener.close()
        for sock in self._sockets:
            sock.close()


def test_a_stalled_postgresql_catalog_delays_no_forecast_and_the_api_recovers(stack: Stack, tmp_path: Path) -> None:
    settings, env = stack.isolated_environ()
    uri = settings.runtime("iceberg_catalog_uri")
    assert uri.startswith("jdbc:postgresql://")
    parts = urlsplit(uri.removeprefix("jdbc:"))
    assert parts.hostname and parts.port
    ensure_tables(settings, specs=[PREDICTIONS])
    merge_rows(load_catalog(settings), PREDICTIONS, [prediction(settings, FIRST_HOUR, 42.0)])

    proxy = StallingProxy((parts.hostname, parts.port))
    proxied = uri.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}", 1)
    log_file = tmp_path / "api.log"
    try:
        # the API reads through the proxy; the test writes past it
        with serve(env | {"ICEBERG_CATALOG_URI": proxied}, log_file) as base:
            figures = outage_under_load(base, log_file, settings, proxy.pause, proxy.resume, "timeout")
    finally:
        proxy.close()
    abandoned = [json.loads(line) for line in log_file.read_text().splitlines()
                 if '"background_call_abandoned"' in line]
    print(json.dumps({"postgresql_stalled": figures | {"abandoned_calls": len(abandoned)}}))
    assert abandoned  # a call hung on a stalled connection was abandoned, and a new one recovered
