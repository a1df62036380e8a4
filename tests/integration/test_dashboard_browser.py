"""The dashboard in a real browser (issue 14 item 4): the API serves the session's demo chain
(tests/integration/conftest.py) on a loopback port, and headless Chromium (Debian's
/usr/bin/chromium, driven by playwright-core from web/dashboard's lockfile:
web/dashboard/test/browse.mjs) opens ``/`` at desktop width and at 390 px. Asserted: each chart
series holds as many points as the API returned, the cards show the API's forecast, the map and
health panel hold the API's items, no console error, every request went to the loopback, and
the screenshots are written under var/screenshots/."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ais.api.app import dashboard_dir
from tests.conftest import PROJECT_ROOT
from tests.integration.conftest import DemoChain

pytestmark = [pytest.mark.spark, pytest.mark.native]

WEB = PROJECT_ROOT / "web" / "dashboard"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SHOTS = PROJECT_ROOT / "var" / "screenshots"
API = "/api/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(demo_chain: DemoChain) -> Iterator[str]:
    from ais.pipeline import _Server

    built = dashboard_dir(demo_chain.settings)
    missing = [what for what, ok in (
        (f"{built}/index.html (scripts/setup.sh web)", (built / "index.html").is_file()),
        (f"{WEB}/node_modules/playwright-core (scripts/setup.sh web)",
         (WEB / "node_modules" / "playwright-core").is_dir()),
        (f"{CHROMIUM} (scripts/setup.sh apt)", CHROMIUM.is_file()),
        ("node (Node.js 20)", shutil.which("node") is not None)) if not ok]
    if missing:
        pytest.fail(f"the browser test needs what `make setup` installs; missing: {missing}")
    port = _free_port()
    server = _Server(demo_chain.settings, "127.0.0.1", port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _paged_history(client: httpx.Client, start: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"from": start, "limit": "1000", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/hanoi/pm25/forecast/history", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def _expected_series(client: httpx.Client, forecast: dict[str, Any], days: int) -> dict[str, int]:
    """What the chart must hold for a window, counted from the API's own answers: observed hours
    with a value, and per lead time the distinct target hours with a forecast."""
    end = dt.datetime.fromisoformat(forecast["base_hour"].replace("Z", "+00:00")) + dt.timedelta(hours=1)
    start = end - dt.timedelta(days=days)  # as the page asks: the window up to the base hour
    obs = client.get(f"{API}/hanoi/pm25/observations",
                     params={"from": start.isoformat(), "to": end.isoformat()}).json()
    history = _paged_history(client, obs["from"])
    out = {"observed": sum(1 for i in obs["items"] if i["pm25"] is not None), "items": len(history)}
    for h in (6, 12, 24):
        out[f"{h}h"] = len({i["target_hour"] for i in history if i["horizon_hour"] == h and i["pm25"] is not None})
    return out


def test_the_dashboard_shows_the_apis_data_and_reaches_only_the_loopback(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30.0) as client:
        forecast = client.get(f"{API}/hanoi/pm25/forecast/latest").json()
        week, month = _expected_series(client, forecast, 7), _expected_series(client, forecast, 30)
        skill = {days: client.get(f"{API}/hanoi/pm25/forecast/skill", params={"window_days": str(days)}).json()
                 for days in (7, 30)}
        the_map = client.get(f"{API}/hanoi/map/latest").json()
        health = client.get(f"{API}/pipeline/health").json()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("dashboard.png", "dashboard-390.png"):
        (SHOTS / name).unlink(missing_ok=True)

    started = time.monotonic()
    done = subprocess.run(["node", "test/browse.mjs", served, str(SHOTS)], cwd=WEB, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "CHROMIUM": str(CHROMIUM)}, check=False)
    browser_s = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout)
    print(f"browser run {browser_s:.1f} s (pages {seen['seconds']:.1f} s)")

    # the demo's data is in every part: the archive holds the demo's forecast, one per lead time
    assert week["items"] == 3 and week["observed"] >= 7 * 24 * 0.95
    assert len(the_map["stations"]) >= 1 and len(the_map["trajectories"]) >= 1 and len(health["models"]) == 3
    for view, expected in (("desktop", week), ("desktop30", month), ("phone", week)):
        page = seen[view]
        assert page["states"] == dict.fromkeys(("cards", "chart", "skill", "map", "health"), "ok"), view
        chart = page["chart"]
        assert chart["windowDays"] == ("30" if view == "desktop30" else "7")
        # the chart object's own series and the counts it publishes agree with the API's answers
        assert chart["series"] == [expected["observed"], expected["6h"], expected["12h"], expected["24h"]], view
        assert (int(chart["observedPoints"]), int(chart["forecastItems"])) == (expected["observed"], expected["items"])
        assert chart["canvas"]
        for h in (6, 12, 24):
            entry, card = forecast["forecast"][f"{h}h"], page["cards"][str(h)]
            assert float(card["pm25"]) == entry["pm25"]
            assert card["value"] == f"{entry['pm25']:.1f}"
            assert (int(card["aqi"]), card["badge"]) == (entry["aqi"]["index"], f"VN_AQI {entry['aqi']['index']}")
            assert (card["category"], card["advice"]) == (entry["aqi"]["category"], entry["aqi"]["advice"])
            r, g, b = (int(entry["aqi"]["colour"][i:i + 2], 16) for i in (1, 3, 5))
            assert card["colour"] == f"rgb({r}, {g}, {b})"
        assert page["skill_rows"] == len(skill[int(chart["windowDays"])]["items"]) == 3
        assert (page["map"]["circles"], page["map"]["paths"]) == (
            len(the_map["stations"]), sum(1 for t in the_map["trajectories"] if len(t["path"]) >= 2))
        assert page["map"]["provinces"] == 27 and "CC BY 4.0" in page["map"]["credit"]
        assert (page["health"]["job_rows"], page["health"]["model_rows"], page["health"]["source_rows"]) == (
            len(health["jobs"]), len(health["models"]), len(health["sources"]))
    assert seen["phone"]["width"]["scroll"] <= 390  # nothing wider than the phone's screen

    assert seen["console_errors"] == []
    assert seen["blocked"] == []
    assert seen["requests"] and all(u.startswith(served + "/") for u in seen["requests"])
    assert {u.removeprefix(served) for u in seen["requests"]} >= {
        "/", "/assets/main.js", "/assets/main.css", f"{API}/hanoi/pm25/forecast/latest", f"{API}/hanoi/map/latest",
        f"{API}/pipeline/health"}
    for name in ("dashboard.png", "dashboard-390.png"):
        assert (SHOTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
