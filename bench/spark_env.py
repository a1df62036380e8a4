"""What the Spark benchmarks share: one local session over a throw-away catalog, and per size a
catalog of its own under the benchmark's temporary folder, known to that session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "hanoi_pipeline.yaml"


def size_settings(spark: Any, name: str, root: Path, **extra: str) -> Any:
    """Settings with catalog ``name`` under ``root``, registered with ``spark``, every table created."""
    from ais.catalog import ensure_tables, spark_catalog_conf
    from ais.config import load_settings

    settings = load_settings(CONFIG, environ={
        "ICEBERG_CATALOG": name, "ICEBERG_CATALOG_URI": f"jdbc:sqlite:{root}/catalog.db",
        "ICEBERG_WAREHOUSE": str(root / "warehouse"), "LOG_LEVEL": "warning", **extra})
    for key, value in spark_catalog_conf(settings).items():
        spark.conf.set(key, value)
    ensure_tables(settings)
    return settings


@contextmanager
def bench_session(prefix: str, app_name: str) -> Iterator[tuple[Any, Path]]:
    """A temporary folder and a local Spark session; both gone on exit."""
    import tempfile

    from ais.config import load_settings
    from ais.spark.session import get_spark

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        spark = get_spark(load_settings(CONFIG, environ={"ICEBERG_CATALOG_URI": f"jdbc:sqlite:{tmp}/base.db",
                                                         "ICEBERG_WAREHOUSE": f"{tmp}/base"}), app_name=app_name)
        try:
            yield spark, Path(tmp)
        finally:
            spark.stop()


def per_size(sizes: tuple[int, ...], label: str, prefix: str, app_name: str,
             bench: Callable[[Any, int, Path], dict[str, Any]]) -> dict[str, Any]:
    """{f"{n}_{label}": bench(spark, n, folder)} for every size, in one session."""
    with bench_session(prefix, app_name) as (spark, tmp):
        return {f"{n}_{label}": bench(spark, n, tmp / f"s{n}") for n in sizes}
