"""The built images (scripts/build_images.sh, `make images`) run their own command contract as their
non-root user: `ais --help` in each, `ais-ingest --help` and the Spark entry point in the Spark image,
and the API image's own ENTRYPOINT + CMD serving /healthz. Each image holds exactly the packages of
its lock file (requirements/lock/<image>.txt) and none of what its extras leave out.

No container can be started here (`podman run` is refused), so every command runs through
`buildah run --isolation chroot --user <uid>` in a working container of the image, which shares the
host's network: the API's port is reached from the host on 127.0.0.1. Run by `make test-images`,
which builds the images first; skipped otherwise, and where buildah is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import PROJECT_ROOT

if os.environ.get("AIS_TEST_IMAGES") != "1":
    pytest.skip("the image tests run with `make test-images`, which builds the images first",
                allow_module_level=True)
if shutil.which("buildah") is None:
    pytest.skip("buildah is missing: `make images` installs it (scripts/build_images.sh, as root)",
                allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("buildah run --isolation chroot needs root", allow_module_level=True)

TAG = os.environ.get("AIS_IMAGE_TAG", "dev")
LOCKS = PROJECT_ROOT / "requirements" / "lock"


@dataclass(frozen=True)
class Image:
    key: str
    name: str
    uid: int
    user: str
    # import names that its extras leave out, so the image must not have them
    absent: tuple[str, ...]


IMAGES = {
    "api": Image("api", "ais-pm25-api", 10001, "ais", ("pyspark", "lightgbm", "sklearn", "pandas", "numpy")),
    "ml": Image("ml", "ais-ml-runtime", 10001, "ais", ("pyspark", "fastapi", "uvicorn")),
    "spark": Image("spark", "ais-spark-runtime", 185, "spark", ("fastapi", "uvicorn")),
}


def buildah(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["buildah", *args], capture_output=True, text=True, check=False, timeout=timeout)


class Container:
    """A buildah working container of one image; commands run in it as the image's user."""

    def __init__(self, image: Image) -> None:
        self.image = image
        ref = f"localhost/{image.name}:{TAG}"
        found = buildah("inspect", "--type", "image", ref)
        if found.returncode != 0:
            pytest.fail(f"image {ref} is not built: run `make images` first ({found.stderr.strip()})")
        self.config = json.loads(found.stdout)["OCIv1"]["config"]
        made = buildah("from", "--quiet", "--pull=never", ref)
        assert made.returncode == 0, made.stderr
        self.id = made.stdout.strip()

    def argv(self, command: list[str], env: dict[str, str] | None = None) -> list[str]:
        envs = [f"--env={k}={v}" for k, v in (env or {}).items()]
        return ["buildah", "run", "--isolation", "chroot", f"--user={self.image.uid}:{self.image.uid}", *envs,
                self.id, "--", *command]

    def run(self, command: list[str], env: dict[str, str] | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(command, env), capture_output=True, text=True, check=False, timeout=timeout)

    def remove(self) -> None:
        buildah("rm", self.id)


@pytest.fixture(scope="module")
def containers() -> Iterator[dict[str, Container]]:
    """One working container per image, made on first use and removed at the end."""
    made: dict[str, Container] = {}
    try:
        yield made
    finally:
        for ctr in made.values():
            ctr.remove()


def get_container(containers: dict[str, Container], key: str) -> Container:
    if key not in containers:
        containers[key] = Container(IMAGES[key])
    return containers[key]


@pytest.fixture(params=sorted(IMAGES))
def container(request: pytest.FixtureRequest, containers: dict[str, Container]) -> Container:
    return get_container(containers, request.param)


def locked_pins(key: str) -> set[str]:
    """name==version of every package in requirements/lock/<key>.txt, names normalised."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", (LOCKS / f"{key}.txt").read_text(), re.M)
    return {f"{re.sub(r'[-_.]+', '-', n).lower()}=={v}" for n, v in pins}


def test_runs_as_its_non_root_user(container: Container) -> None:
    assert container.config["User"] == f"{container.image.uid}:{container.image.uid}"
    done = container.run(["sh", "-c", "id -u; id -un; pwd; touch /opt/ais/work/w && echo writable"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(container.image.uid), container.image.user, "/opt/ais/work", "writable"]
    # the user cannot write what the image installed
    denied = container.run(["sh", "-c", "touch /opt/ais/.venv/x"])
    assert denied.returncode != 0 and "Permission denied" in denied.stderr


def test_ais_help(container: Container) -> None:
    done = container.run(["ais", "--help"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: ais ")
    for command in ("ensure-tables", "job", "train", "predict", "serve", "check"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.M), command
    version = container.run(["ais", "--version"])
    assert version.returncode == 0 and "0.1.0" in version.stdout + version.stderr


def test_installed_packages_are_the_lock(container: Container) -> None:
    """pip's view of the image's venv is its lock file: nothing missing, nothing extra (pip itself
    comes with the venv; ais is the project)."""
    done = container.run(["python", "-m", "pip", "freeze", "--all", "--disable-pip-version-check"])
    assert done.returncode == 0, done.stderr
    installed = {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() + "==" + line.split("==")[1]
                 for line in done.stdout.splitlines() if "==" in line}
    installed = {p for p in installed if not p.startswith(("pip==", "ais=="))}
    assert installed == locked_pins(container.image.key)
    absent = container.run(["python", "-c", "import importlib.util as u, sys; "
                            "print(' '.join(m for m in sys.argv[1:] if u.find_spec(m)))", *container.image.absent])
    assert absent.returncode == 0 and absent.stdout.strip() == "", absent.stdout


def test_spark_image_commands(containers: dict[str, Container]) -> None:
    container = get_container(containers, "spark")
    ingest = container.run(["/opt/ais/build/native/ais-ingest", "--help"])
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("usage:\n  ais-ingest config-dump")
    assert "ais-ingest openaq|weather|sentinel5p|maiac|era5 --mode live" in ingest.stdout
    # the image's own ENTRYPOINT + CMD: tini, the Spark entry point passing `ais job --help` through
    contract = container.config["Entrypoint"] + container.config["Cmd"]
    assert contract == ["/usr/bin/tini", "--", "/opt/ais/bin/spark-entrypoint.sh", "ais", "job", "--help"]
    job = container.run(contract)
    assert job.returncode == 0, job.stderr[-2000:]
    assert job.stdout.startswith("usage: ais job ")
    java = container.run(["java", "-version"])
    assert java.returncode == 0 and 'version "17.' in java.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_api_image_serves_healthz(containers: dict[str, Container]) -> None:
    """The API image's own ENTRYPOINT + CMD (tini, `ais serve --host 0.0.0.0`) on a free port set by
    API_PORT: /healthz answers 200 from the host; /readyz says 503 (no catalog in the image); / is the
    dashboard's index.html that the image copied from web/dashboard/dist."""
    container = get_container(containers, "api")
    contract = container.config["Entrypoint"] + container.config["Cmd"]
    assert contract == ["/usr/bin/tini", "--", "ais", "serve", "--host", "0.0.0.0"]
    port = free_port()
    server = subprocess.Popen(container.argv(contract, {"API_PORT": str(port)}), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        status: tuple[int, dict[str, object]] | None = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == (200, {"status": "ok"}), (status, server.poll())
        ready_code, ready = get(f"http://127.0.0.1:{port}/readyz")
        assert ready_code == 503 and ready["status"] != "ready", ready
        # the dashboard the image copied (scripts/build_images.sh builds it first) at /
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            page = (response.status, response.read())
        assert page == (200, (PROJECT_ROOT / "web" / "dashboard" / "dist" / "index.html").read_bytes())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            out, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            out, _ = server.communicate()
    assert '"event": "api_starting"' in out and f'"port": {port}' in out, out[-2000:]
    assert '"path": "/healthz", "status_code": 200' in out, out[-2000:]
