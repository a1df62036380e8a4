"""The live adapters against the five APIs simulated on loopback (ais.simulated_providers):
ais-provider-sim writes the providers' files, the fixture server plays them, `ais-ingest <source>
--mode live --provider simulated` fetches, pages, downloads to the raw store and decodes them.
Every event is labelled source=simulated; OpenAQ and weather carry exactly the values the C
simulators give in --mode simulate for the same seed and hours; the gridded sources give one
event per simulated file, their downloads kept on the raw store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ais.config import Settings
from ais.ingest_runner import run_ingest
from ais.simulated_providers import SimulatedProviders, whole_days

pytestmark = [pytest.mark.native]

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 10, 3, tzinfo=dt.UTC)
# fields set by the run, not by the data
RUN_FIELDS = {"ingest_time", "trace", "window_mode", "window_start_utc", "window_end_utc", "available_at"}


def _events(landing: Path, topic: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in sorted((landing / topic).glob("*.jsonl")):
        for line in part.read_text().splitlines():
            event = json.loads(line)
            assert event["event_id"] not in out, event["event_id"]
            out[event["event_id"]] = event
    return out


def _data(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in RUN_FIELDS}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One live run per source and one simulate run of openaq and weather, in separate landings."""
    from ais.config import load_settings
    from tests.conftest import CONFIG_PATH, isolated_env

    root = tmp_path_factory.mktemp("live")
    settings = load_settings(CONFIG_PATH, environ=isolated_env(root / "live"))
    reference = load_settings(CONFIG_PATH, environ=isolated_env(root / "simulate"))
    summaries: dict[str, Any] = {}
    with SimulatedProviders(settings, START, END) as providers:
        files = dict(providers.summary)
        for source in ("openaq", "weather", "sentinel5p", "maiac", "era5", "weather-forecast"):
            summaries[source] = run_ingest(settings, source, "live", START, END, providers=providers)
    for source in ("openaq", "weather"):
        run_ingest(reference, source, "simulate", START, END)
    return {"settings": settings, "reference": reference, "summaries": summaries, "files": files}


def _landing(settings: Settings) -> Path:
    return settings.runtime_path("landing_dir")


def test_the_window_is_widened_to_whole_days() -> None:
    assert whole_days(START + dt.timedelta(hours=5), END + dt.timedelta(hours=1)) == (START, END + dt.timedelta(days=1))
    assert whole_days(START, END) == (START, END)


def test_every_source_ran_live_and_every_record_says_simulated(live: dict[str, Any]) -> None:
    for source, summary in live["summaries"].items():
        assert summary["mode"] == "live" and summary["status"] == "ok", summary
        assert summary["events_written"] > 0 and summary["events_rejected"] == 0, summary
    landing = _landing(live["settings"])
    topics = [p.name for p in landing.iterdir() if p.is_dir() and p.name != "ais-dlq"]
    assert len(topics) == 6, topics
    for topic in topics:
        events = _events(landing, topic)
        assert {e["source"] for e in events.values()} == {"simulated"}, topic


@pytest.mark.parametrize("topic", ["openaq-hourly", "weather_history"])
def test_openaq_and_weather_carry_the_simulators_values(live: dict[str, Any], topic: str) -> None:
    got = _events(_landing(live["settings"]), topic)
    want = _events(_landing(live["reference"]), topic)
    assert got.keys() == want.keys()
    diffs = [(k, _data(got[k]), _data(want[k])) for k in sorted(want) if _data(got[k]) != _data(want[k])]
    assert not diffs, diffs[:3]


def test_the_forecast_is_the_issue_of_the_windows_last_hour(live: dict[str, Any]) -> None:
    """weather-forecast --mode live: one forecast.json of the configured province (Ha Noi), issued
    in the window's last hour, its three local days (native/include/ais/weather_forecast.h)."""
    events = _events(_landing(live["settings"]), "weather-forecast")
    assert live["summaries"]["weather-forecast"]["http"]["requests"] == 1
    assert len(events) == 72 and {e["province"] for e in events.values()} == {"Ha Noi"}
    assert {e["issue_time"] for e in events.values()} == {"2026-10-02T23:00:00Z"}
    assert {e["available_at"] for e in events.values()} == {"2026-10-02T23:00:00Z"}
    # 06:00 local on 2026-10-03: the local day began at 2026-10-02T17:00Z
    assert sorted(e["lead_hours"] for e in events.values()) == list(range(-6, 66))


def test_gridded_sources_give_one_event_per_simulated_file_kept_on_the_raw_store(live: dict[str, Any]) -> None:
    landing = _landing(live["settings"])
    days = (END - START).days
    products = live["settings"].get_list("sentinel5p.products")
    by_topic = {t: _events(landing, t) for t in ("sentinel5p-summary", "maiac-summary", "era5-files")}
    assert len(by_topic["sentinel5p-summary"]) == live["files"]["sentinel5p"]["files"] == days * len(products)
    assert len(by_topic["maiac-summary"]) == live["files"]["maiac"]["files"] >= days
    assert len(by_topic["era5-files"]) == live["files"]["era5"]["files"] == 2 * days
    raw = live["settings"].runtime("raw_store_uri") or (live["settings"].runtime("iceberg_warehouse") + "/raw")
    for event in by_topic["era5-files"].values():
        path = event["file_path"].removeprefix("file://")
        assert path.startswith(raw.removeprefix("file://").rstrip("/") + "/era5/2026/10/"), path
        assert Path(path).stat().st_size == event["size_bytes"]
