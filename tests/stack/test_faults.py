"""Faults of the production profile on the real servers of the stack, each one a real process kill
or a real server stop, never an injected exception:

1. the streaming bronze driver (Python and its JVM) killed with SIGKILL 20 times, at seeded
   random points: during start-up, during a micro-batch, and right after a batch's table commit
   (before or just after its checkpoint commit);
2. the HDFS DataNode stopped and started again under a running streaming job;
3. the Kafka broker stopped and started again (on its own data folder) under a running job;
4. PostgreSQL (the Iceberg catalog) restarted between two jobs;
5. the API while PostgreSQL is down: the latest forecast from its cache, /readyz 503 naming the
   catalog, and ready again once PostgreSQL is back, without a restart of the API.

After each fault the bronze table holds every event ingest produced, each event_id exactly once.
The expected events are what the same `ais-ingest` commands write to a landing folder (simulated
event ids are deterministic). Every test leaves the servers running (others share the stack) and
is skipped on a reused stack (AIS_TEST_STACK_ENV), whose servers are not ours to stop.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ais import storage, tables
from ais.api.app import FORECAST_PATH as FORECAST
from ais.catalog import ensure_tables, load_catalog
from ais.config import Settings
from ais.iceberg_io import merge_rows
from tests.conftest import PROJECT_ROOT
from tests.stack.conftest import Stack, free_ports

pytestmark = [pytest.mark.stack, pytest.mark.spark, pytest.mark.native]

AIS = PROJECT_ROOT / ".venv" / "bin" / "ais"
INGEST = PROJECT_ROOT / "build" / "native" / "ais-ingest"
STATIONS = 4  # simulated OpenAQ stations: 4 events an hour, 96 a day
DAY0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
BRONZE_TABLES = [tables.OPENAQ_BRONZE, tables.INVALID_EVENTS, tables.LATE_EVENTS]


# ---- the stack's servers ------------------------------------------------------------------------

@pytest.fixture
def own_stack(stack: Stack) -> Stack:
    if not stack.owned:
        pytest.skip("fault tests stop and restart servers: only on a stack this run started "
                    "(unset AIS_TEST_STACK_ENV)")
    return stack


def _script(stack: Stack, script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A server script against this stack. AIS_KAFKA_DIR as scripts/stack.sh sets it, so kafka.sh
    acts on the stack's broker and its data folder, not on var/kafka/<port>; AIS_STACK_OWNER_PID as
    `stack.sh up --owner-pid` sets it, so a server started again still stops when this run ends."""
    env = os.environ | stack.script_env | {"AIS_KAFKA_DIR": _kafka_dir(stack), "AIS_STACK_OWNER_PID": _owner(stack)}
    return subprocess.run([str(PROJECT_ROOT / "scripts" / script), *args], capture_output=True, text=True,
                          check=False, env=env, timeout=timeout)


def _must(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}: {done.stderr[-3000:]}"
    return done.stdout


def _kafka_dir(stack: Stack) -> str:
    return str(Path(stack.script_env["AIS_STACK_DIR"]) / "kafka")


def _kafka_port(stack: Stack) -> str:
    return stack.env["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1]


def _owner(stack: Stack) -> str:
    # a restarted server stops when the stack's owner exits: scripts/test_stack.sh when it
    # started the stack for the whole run, else this process (the stack fixture started it)
    return stack.script_env.get("AIS_STACK_OWNER_PID", str(os.getpid()))


# ---- processes ----------------------------------------------------------------------------------

def _session(sid: int) -> list[tuple[int, str, str]]:
    """(pid, state, name) of every process of session ``sid``, zombies included."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(rest[3]) == sid:
            found.append((int(entry), rest[0], name))
    return found


def _kill_session(proc: subprocess.Popen[Any], wait_s: float = 15) -> None:
    """SIGKILL to the whole process group of ``proc`` (started with start_new_session=True: the
    driver, spark-submit's shell and the JVM), then make sure no process of its session is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=wait_s)
    deadline = time.monotonic() + wait_s
    # the dead wait as zombies until init reaps them: only the living count
    while (alive := [p for p in _session(proc.pid) if p[1] != "Z"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, _, _ in alive:  # left its process group but not the session: end it, then fail
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not alive, f"processes of the killed job outlived the kill of its process group: {alive}"


def _stop_gently(proc: subprocess.Popen[Any], wait_s: float = 15) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            pass
    _kill_session(proc)


# ---- one test's topic, tables and expected events ----------------------------------------------

@dataclass
class Bus:
    """One test's settings on the stack (own catalog, HDFS folder, topic prefix), the
    environment of its `ais` and `ais-ingest` children, and the events produced so far."""

    stack: Stack
    settings: Settings
    env: dict[str, str]  # for ais-ingest and ais commands
    job_env: dict[str, str]  # for `ais job bronze-openaq`: a config with the Kafka batch bound
    work: Path
    expected: set[str] = field(default_factory=set)
    produced: int = 0
    runs: int = 0

    @property
    def checkpoint(self) -> str:
        topic = self.settings.require("kafka.topics.openaq")
        return f"{self.settings.runtime('checkpoint_base')}/bronze/{topic}"

    def ingest(self, *args: str) -> dict[str, Any]:
        done = subprocess.run([str(INGEST), *args, "--config", str(self.settings.path)], capture_output=True,
                              text=True, check=False, env=self.env, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def produce(self, start_h: int, hours: int = 24) -> int:
        """Simulated OpenAQ hours [DAY0 + start_h, + hours) to Kafka (STATIONS events an hour); the
        same command into a landing folder gives the event ids to expect."""
        start, end = DAY0 + dt.timedelta(hours=start_h), DAY0 + dt.timedelta(hours=start_h + hours)
        window = ["openaq", "--mode", "simulate", "--start", f"{start:%Y-%m-%dT%H:%M:%SZ}",
                  "--end", f"{end:%Y-%m-%dT%H:%M:%SZ}", "--stations", str(STATIONS)]
        sent = self.ingest(*window, "--sink", "kafka", "--state-dir", str(self.work / "state-kafka"))
        assert sent["status"] == "ok" and sent["kafka"]["lost"] == 0, sent
        assert sent["kafka"]["delivered"] == sent["events_written"], sent
        landing = self.work / "expected" / f"{start_h}-{hours}"
        copy = self.ingest(*window, "--sink", "landing", "--landing-dir", str(landing),
                           "--state-dir", str(self.work / "state-landing"))
        assert copy["events_written"] == sent["events_written"]
        ids = {json.loads(line)["event_id"] for f in sorted(landing.rglob("*.jsonl"))
               for line in f.read_text().splitlines() if line.strip()}
        assert len(ids) == sent["events_written"] and not ids & self.expected
        self.expected |= ids
        self.produced += len(ids)
        return len(ids)

    def start_job(self, *args: str, bounded: bool = True) -> tuple[subprocess.Popen[Any], Path]:
        """`ais job bronze-openaq ARGS` in a session of its own, its Kafka batches bounded by the
        Bus's max_offsets_per_trigger unless not ``bounded``; its log (stderr) goes to a file."""
        self.runs += 1
        log = self.work / "logs" / f"bronze-{self.runs:02d}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as err, open(log.with_suffix(".out"), "wb") as out:
            proc = subprocess.Popen([str(AIS), "job", "bronze-openaq", *args],
                                    env=self.job_env if bounded else self.env, stdout=out,
                                    stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        return proc, log

    def run_job(self, *args: str, bounded: bool = False, timeout: float = 600) -> dict[str, Any]:
        """A bronze run to its end (availableNow): its JSON summary. Unbounded (one batch takes
        the whole backlog) unless ``bounded``."""
        proc, log = self.start_job(*args, bounded=bounded)
        try:
            rc = proc.wait(timeout=timeout)
        finally:
            _kill_session(proc)
        assert rc == 0, f"bronze job exited {rc}:\n{_tail(log)}"
        return dict(json.loads(log.with_suffix(".out").read_text()))

    def bronze_ids(self) -> list[str]:
        table = load_catalog(self.settings, create=False).load_table(tables.OPENAQ_BRONZE.identifier)
        return [str(v) for v in table.scan(selected_fields=("event_id",)).to_arrow().column("event_id").to_pylist()]

    def assert_exactly_once(self) -> int:
        """Every produced event in bronze exactly once, nothing else, nothing declared invalid."""
        ids = self.bronze_ids()
        twice = {k: n for k, n in collections.Counter(ids).items() if n > 1}
        assert not twice, f"{len(twice)} event ids more than once in bronze, e.g. {sorted(twice.items())[:5]}"
        missing, extra = self.expected - set(ids), set(ids) - self.expected
        assert not missing and not extra, (f"{len(missing)} produced events missing from bronze "
                                           f"(e.g. {sorted(missing)[:5]}), {len(extra)} unexpected")
        invalid = load_catalog(self.settings, create=False).load_table(tables.INVALID_EVENTS.identifier)
        assert invalid.scan().to_arrow().num_rows == 0
        return len(ids)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _error_of(log: Path) -> str:
    """The error that ended a failed job, as Spark logged it."""
    lines = _tail(log, 2000).splitlines()
    for i, line in enumerate(lines):
        if "terminated with error" in line and i + 1 < len(lines):
            return lines[i + 1][:400]
    return next((line[:400] for line in reversed(lines) if "Exception" in line), lines[-1][:400] if lines else "")


def _batches(log: Path) -> list[dict[str, Any]]:
    """The bronze_batch lines a run has logged so far (each after its batch's table commit,
    before Spark writes the batch's checkpoint commit)."""
    out: list[dict[str, Any]] = []
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        if '"bronze_batch"' in line:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # the last line may be half written
    return out


def open_bus(stack: Stack, max_offsets_per_trigger: int = 0, specs: list[tables.TableSpec] | None = None) -> Bus:
    """A Bus with its topics and tables created; ``max_offsets_per_trigger`` bounds the bronze
    job's Kafka micro-batches."""
    settings, env = stack.isolated_environ()
    work = PROJECT_ROOT / "var" / "test-stack-work" / settings.catalog_name
    work.mkdir(parents=True, exist_ok=True)
    # The batch bound is a config value, not an environment one: the job reads a copy of the
    # config. The copy sits one folder below the project root because the settings take the
    # config file's grandparent as the project root (where the Spark jars are); var/ is ignored by git.
    config = PROJECT_ROOT / "var" / f"faults-{settings.catalog_name}.yaml"
    text = settings.path.read_text()
    assert "max_offsets_per_trigger: 0\n" in text
    config.write_text(text.replace("max_offsets_per_trigger: 0\n",
                                   f"max_offsets_per_trigger: {max_offsets_per_trigger}\n"))
    bus = Bus(stack, settings, env, env | {"HANOI_PIPELINE_CONFIG": str(config)}, work)
    bus.ingest("topics", "--create")
    ensure_tables(settings, specs=BRONZE_TABLES + (specs or []))
    return bus


@pytest.fixture
def make_bus(own_stack: Stack) -> Iterator[Callable[..., Bus]]:
    made: list[Bus] = []

    def factory(max_offsets_per_trigger: int = 0, specs: list[tables.TableSpec] | None = None) -> Bus:
        made.append(open_bus(own_stack, max_offsets_per_trigger, specs))
        return made[-1]

    yield factory
    for bus in made:
        Path(bus.job_env["HANOI_PIPELINE_CONFIG"]).unlink(missing_ok=True)


def _wait_for(what: str, predicate: Callable[[], bool], timeout: float, every: float = 0.5) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(every)
    return time.monotonic() - started


def _report(name: str, **figures: Any) -> None:
    """The figures of a fault test, on stdout (pytest -s shows them)."""
    print(json.dumps({"fault_test": name, **figures}, default=str))


# ---- 1. SIGKILL of the streaming driver ---------------------------------------------------------

KILLS = 20
KILL_BOUND = 40  # Kafka records per micro-batch: several batches per run, so kills land between commits
# where the kills land: before the first batch (start-up: Python, the JVM, Spark, the query), at
# any time, inside the second batch, and just after the first batch's table commit (its
# checkpoint commit is written after that: the batch is then replayed, and must change nothing)
PLAN = {"start-up": 5, "anytime": 5, "mid-batch": 5, "after-table-commit": 5}
TOP_UP_H = 12  # hours of events produced now and then between kills


def test_sigkill_of_the_streaming_driver_20_times_loses_and_duplicates_nothing(
        make_bus: Callable[..., Bus]) -> None:
    started = time.monotonic()
    rng = random.Random(20261205)
    bus = make_bus(max_offsets_per_trigger=KILL_BOUND)
    hour = 48
    bus.produce(0, hours=hour)
    consumed = 0  # events of the batches whose table commit was logged: an estimate of the progress
    plan = [phase for phase, n in PLAN.items() for _ in range(n)]
    rng.shuffle(plan)
    kills: list[dict[str, Any]] = []
    runs = 0
    while len([k for k in kills if k["killed"]]) < KILLS:
        phase = plan[len([k for k in kills if k["killed"]])]
        runs += 1
        assert runs <= KILLS + 10, f"too many runs ended by themselves before their kill: {kills}"
        # more events sometimes, and whenever the backlog may be too short for a batch to be hit
        if runs % 4 == 0 or bus.produced - consumed <= 2 * KILL_BOUND:
            bus.produce(hour, hours=TOP_UP_H)
            hour += TOP_UP_H
        proc, log = bus.start_job()
        t0 = time.monotonic()
        try:
            if phase in ("start-up", "anytime"):
                delay = rng.uniform(0.3, 8.0) if phase == "start-up" else rng.uniform(0.3, 30.0)
                while time.monotonic() - t0 < delay and proc.poll() is None:
                    time.sleep(0.01)
            else:
                delay = rng.uniform(0.8, 2.5) if phase == "mid-batch" else rng.uniform(0.0, 0.3)
                while not _batches(log) and proc.poll() is None and time.monotonic() - t0 < 180:
                    time.sleep(0.01)
                assert proc.poll() is not None or _batches(log), f"no micro-batch within 180 s:\n{_tail(log)}"
                time.sleep(delay)
            exited = proc.poll()
            at = time.monotonic() - t0
        finally:
            _kill_session(proc)
        batches = _batches(log)
        # a run that ended before its kill (its backlog done) must have succeeded; it is not a kill
        assert exited in (None, 0), f"run {runs} ({phase}) failed by itself ({exited}):\n{_tail(log)}"
        logged = len(batches)
        assert all(int(b["valid"]) <= KILL_BOUND for b in batches)  # streaming.max_offsets_per_trigger holds
        if phase == "after-table-commit" and exited is None and batches:
            batches = batches[:-1]  # its checkpoint commit may not have happened: it is replayed
        consumed += sum(int(b.get("valid", 0)) for b in batches)
        kills.append({"phase": phase, "at_s": round(at, 2), "batches_logged": logged, "killed": exited is None})

    final = bus.run_job()
    count = bus.assert_exactly_once()
    assert count == bus.produced
    commits = sum(not p.rsplit("/", 1)[-1].startswith(".") for p in storage.list_files(f"{bus.checkpoint}/commits"))
    killed = [k for k in kills if k["killed"]]
    _report("sigkill", kills=len(killed), runs=len(kills), events=bus.produced,
            killed_before_any_batch=sum(k["batches_logged"] == 0 for k in killed),
            killed_after_a_batch_commit=sum(k["batches_logged"] > 0 for k in killed),
            batches_logged_in_killed_runs=sum(k["batches_logged"] for k in killed), checkpoint_commits=commits,
            final_run={k: final[k] for k in ("batches", "input_count", "output_count")},
            seconds=round(time.monotonic() - started, 1), detail=kills)
    # the kills were spread: some before any batch, some after batches had been committed
    assert sum(k["batches_logged"] == 0 for k in killed) >= PLAN["start-up"]
    assert sum(k["batches_logged"] > 0 for k in killed) >= PLAN["mid-batch"] + PLAN["after-table-commit"]


# ---- 2. and 3. a server of the stack stopped and started under a streaming job -----------------

DOWN_S = 6.0  # how long the stopped server stays down
SETTLE_S = 240.0  # time for a job that rode the fault out to catch up


def _streaming_through(bus: Bus, stop: Callable[[], None], start: Callable[[], None],
                       during: Callable[[], object] | None = None) -> dict[str, Any]:
    """A processingTime bronze job over a backlog; once its first batch is committed, ``stop``
    the server, run ``during``, wait DOWN_S, ``start`` it again and produce more. The job either
    rides the fault out (then it catches up by itself) or fails (then an availableNow run takes the
    rest). Returns what happened."""
    proc, log = bus.start_job("--trigger", "processingTime", "--processing-seconds", "2")
    figures: dict[str, Any] = {}
    try:
        _wait_for("the job's first micro-batch", lambda: bool(_batches(log)) or proc.poll() is not None, 240, 0.1)
        assert proc.poll() is None, f"the job ended before the fault:\n{_tail(log)}"
        figures["batches_before_fault"] = len(_batches(log))
        down_at = time.monotonic()
        stop()
        try:
            if during is not None:
                during()
            time.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))
            figures["batches_while_down"] = len(_batches(log)) - figures["batches_before_fault"]
        finally:
            start()
        figures["down_s"] = round(time.monotonic() - down_at, 1)
        bus.produce(48)  # after the fault: a job that rode it out must take these too

        def settled() -> bool:
            return proc.poll() is not None or len(set(bus.bronze_ids())) >= bus.produced

        figures["settle_s"] = round(_wait_for("the job caught up or ended", settled, SETTLE_S, 2.0), 1)
        figures["job_exit"] = proc.poll()  # None: it rode the fault out
        figures["batches_in_streaming_run"] = len(_batches(log))
        if proc.poll() is not None:
            figures["job_error"] = _error_of(log)
    finally:
        _kill_session(proc)
    if figures["job_exit"] is not None:
        again = bus.run_job()
        figures["rerun"] = {k: again[k] for k in ("batches", "input_count", "output_count")}
    figures["events"] = bus.assert_exactly_once()
    return figures


def test_datanode_stopped_and_started_under_a_streaming_job(make_bus: Callable[..., Bus]) -> None:
    started = time.monotonic()
    bus = make_bus(max_offsets_per_trigger=KILL_BOUND)
    bus.produce(0)
    stack = bus.stack

    def stop() -> None:
        _must(_script(stack, "hdfs.sh", "stop-datanode"))
        assert _script(stack, "hdfs.sh", "status").returncode == 3

    def start() -> None:
        _must(_script(stack, "hdfs.sh", "start-datanode"))  # waits until the DataNode is registered and live
        _must(_script(stack, "hdfs.sh", "status"))

    try:
        figures = _streaming_through(bus, stop, start, during=lambda: bus.produce(24))  # Kafka still takes events
    finally:
        if _script(stack, "hdfs.sh", "status").returncode != 0:
            _must(_script(stack, "hdfs.sh", "start-datanode"))
    _report("datanode", **figures, seconds=round(time.monotonic() - started, 1))
    assert figures["events"] == bus.produced == 3 * 24 * STATIONS


def test_kafka_broker_stopped_and_started_under_a_streaming_job(make_bus: Callable[..., Bus]) -> None:
    started = time.monotonic()
    bus = make_bus(max_offsets_per_trigger=KILL_BOUND)
    bus.produce(0)
    stack, port, folder = bus.stack, _kafka_port(bus.stack), Path(_kafka_dir(bus.stack))
    facts: dict[str, Any] = {}

    def stop() -> None:
        bus.produce(24)  # right before the stop: these are in the broker's log only
        facts["in_bronze_at_stop"] = len(bus.bronze_ids())
        facts["produced_at_stop"] = bus.produced
        facts["pid_before"] = (folder / "kafka.pid").read_text().strip()
        _must(_script(stack, "kafka.sh", "stop", "--port", port))
        assert _script(stack, "kafka.sh", "status", "--port", port).returncode == 3

    def start() -> None:
        _must(_script(stack, "kafka.sh", "start", "--port", port, "--owner-pid", _owner(stack)))
        # the same broker folder as the stack's (its data/ holds the topics and their records)
        pid = (folder / "kafka.pid").read_text().strip()
        assert pid != facts["pid_before"] and Path(f"/proc/{pid}").exists()
        assert f"log.dirs={folder}/data\n" in (folder / "server.properties").read_text()

    try:
        figures = _streaming_through(bus, stop, start)
    finally:
        if _script(stack, "kafka.sh", "status", "--port", port).returncode != 0:
            _must(_script(stack, "kafka.sh", "start", "--port", port, "--owner-pid", _owner(stack)))
    # events that were only in the broker when it stopped reached bronze after its restart; the
    # topics outlived it too (bus.produce after the restart needs them: auto creation is off)
    assert facts["in_bronze_at_stop"] < facts["produced_at_stop"]
    _report("kafka", **figures, **{k: v for k, v in facts.items() if k != "pid_before"},
            seconds=round(time.monotonic() - started, 1))
    assert figures["events"] == bus.produced == 3 * 24 * STATIONS


# ---- 4. PostgreSQL restarted between two jobs ---------------------------------------------------

def _pg_pid(stack: Stack) -> str:
    status = _must(_script(stack, "postgres.sh", "status"))
    return status.split(" pid ", 1)[1].split()[0]


def test_postgres_restarted_between_two_jobs(make_bus: Callable[..., Bus]) -> None:
    started = time.monotonic()
    bus = make_bus(specs=[tables.OPENAQ_STATION_HOURLY, tables.OPENAQ_CITY_HOURLY])
    bus.produce(0, hours=48)
    bronze = bus.run_job()
    assert bronze["output_count"] == bus.produced
    stack = bus.stack
    before = _pg_pid(stack)
    try:
        t0 = time.monotonic()
        _must(_script(stack, "postgres.sh", "restart"))
        restart_s = time.monotonic() - t0
    finally:
        if _script(stack, "postgres.sh", "status").returncode != 0:
            _must(_script(stack, "postgres.sh", "start"))
    assert _pg_pid(stack) != before  # a real restart, not a reload

    done = subprocess.run([str(AIS), "job", "hanoi-openaq-silver", "--start-date", "2026-10-01",
                           "--end-date", "2026-10-02"], env=bus.env, capture_output=True, text=True,
                          check=False, timeout=600, start_new_session=True)
    assert done.returncode == 0, done.stderr[-4000:]
    silver = json.loads(done.stdout)

    catalog = load_catalog(bus.settings, create=False)
    city = catalog.load_table(tables.OPENAQ_CITY_HOURLY.identifier).scan().to_arrow()
    stations = catalog.load_table(tables.OPENAQ_STATION_HOURLY.identifier).scan().to_arrow()
    assert city.num_rows == 48 and stations.num_rows == 48 * STATIONS
    assert bus.assert_exactly_once() == bus.produced
    _report("postgres_restart", events=bus.produced, restart_s=round(restart_s, 1),
            silver={k: v for k, v in silver.items() if k.endswith("count") or k == "status"},
            seconds=round(time.monotonic() - started, 1))


def test_a_catalog_held_across_a_postgres_restart_reads_at_the_first_try(own_stack: Stack) -> None:
    settings = own_stack.settings()
    ensure_tables(settings, specs=[tables.PREDICTIONS])
    catalog = load_catalog(settings, create=False)
    assert catalog.load_table(tables.PREDICTIONS.identifier).scan().to_arrow().num_rows == 0
    try:
        _must(_script(own_stack, "postgres.sh", "restart"))
    finally:
        if _script(own_stack, "postgres.sh", "status").returncode != 0:
            _must(_script(own_stack, "postgres.sh", "start"))
    assert catalog.load_table(tables.PREDICTIONS.identifier).scan().to_arrow().num_rows == 0


# ---- 5. the API while the catalog is down -------------------------------------------------------

def _prediction(settings: Settings) -> dict[str, Any]:
    hour = dt.datetime(2026, 10, 3, 12, tzinfo=dt.UTC)
    version = "faults-v1"
    return {"prediction_id": "faults-1", "base_hour": hour, "location_id": settings.location_id,
            "location_name": settings.location_name, "pm25_now": 41.5, "pm25_6h": 48.0, "risk_6h": "medium",
            "pm25_12h": 30.25, "risk_12h": "low", "pm25_24h": 80.0, "risk_24h": "high", "dominant_cluster": 2,
            "source_lat": 22.1, "source_lon": 106.4, "path_no2_mean": 3.5e-5, "path_aer_mean": 0.8,
            "pm25_grad_mag": 1.25, "model_version": version, "model_version_6h": version,
            "model_version_12h": version, "model_version_24h": version, "model_status": "production",
            "feature_version": settings.feature_version, "feature_schema_hash": "0" * 64,
            "inference_run_id": "faults", "created_at": hour + dt.timedelta(minutes=20),
            "year": hour.year, "month_partition": hour.month}


def test_the_api_answers_from_its_cache_while_the_catalog_is_down(own_stack: Stack) -> None:
    stack = own_stack
    settings, env = stack.isolated_environ()
    ensure_tables(settings, specs=[tables.PREDICTIONS])
    merge_rows(load_catalog(settings), tables.PREDICTIONS, [_prediction(settings)])
    ready_timeout = settings.get_float("runtime.ready_timeout_seconds")
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    log = PROJECT_ROOT / "var" / "test-stack-work" / settings.catalog_name / "api.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as err:
        api = subprocess.Popen([str(AIS), "serve", "--port", str(port)], env=env, stdout=err, stderr=err,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    figures: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            def up() -> bool:
                assert api.poll() is None, f"the API exited ({api.returncode}):\n{_tail(log)}"
                try:
                    return http.get("/readyz").status_code == 200
                except httpx.TransportError:
                    return False

            figures["ready_after_s"] = round(_wait_for("the API ready", up, 90), 1)
            first = http.get(FORECAST)
            assert first.status_code == 200, first.text
            assert first.json()["base_hour"] == "2026-10-03T12:00:00Z"

            try:
                _must(_script(stack, "postgres.sh", "stop"))
                assert _script(stack, "postgres.sh", "status").returncode == 3
                latencies, probes = [], []
                for _ in range(3):
                    for _ in range(2):
                        t0 = time.monotonic()
                        answer = http.get(FORECAST)
                        latencies.append(time.monotonic() - t0)
                        assert answer.status_code == 200 and answer.content == first.content, answer.text
                    t0 = time.monotonic()
                    probe = http.get("/readyz")
                    probes.append(time.monotonic() - t0)
                    assert probe.status_code == 503, probe.text
                    assert probe.json()["failed"] == "catalog", probe.text
                    time.sleep(1.1)  # the store checks the table again at most once a second
                assert max(latencies) < 1.0, latencies
                assert max(probes) < ready_timeout + 1.5, probes
                figures |= {"forecast_max_ms_while_down": round(max(latencies) * 1000, 1),
                            "readyz_max_ms_while_down": round(max(probes) * 1000, 1),
                            "readyz_body_while_down": probe.json()}
            finally:
                _must(_script(stack, "postgres.sh", "start"))
            figures["ready_again_after_s"] = round(_wait_for("/readyz 200 again", up, 30, 0.2), 2)
            again = http.get(FORECAST)
            assert again.status_code == 200 and again.content == first.content
        assert api.poll() is None  # the same API process throughout
    finally:
        _stop_gently(api)
        if _script(stack, "postgres.sh", "status").returncode != 0:
            _must(_script(stack, "postgres.sh", "start"))
    _report("api_catalog_down", **figures, ready_timeout_s=ready_timeout)
