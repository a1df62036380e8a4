"""The one SparkSession builder of AIS.

Embedded profile: ``local[*]`` in-process with the jars fetched by scripts/setup.sh (jvm/lib) — Spark
never downloads anything at run time. Cluster profile: when ``runtime.spark_k8s_master`` is set the
session is built for Spark on Kubernetes with the settings of the config (the same values the
submit script passes, so setting them again inside a driver pod changes nothing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ais.catalog import spark_catalog_conf
from ais.config import ConfigError, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JARS_DIR = Path("jvm") / "lib"


def local_jars(settings: Settings) -> list[str]:
    folder = settings.project_root / JARS_DIR
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    if not jars:
        raise ConfigError(f"no jars in {folder}: run `make setup` (scripts/setup.sh jars) first")
    return jars


# A local driver JVM shares the stdout of the command that started it, and that stdout is the
# command's result (`ais demo` prints the forecast JSON there). The JVM's own messages go to stderr:
# its unified log (default: warnings to stdout, such as "[warning][codecache] CodeCache is full",
# which broke the JSON of a cluster-profile demo) and its tty output (the code cache summary).
LOCAL_JVM_STDERR_OPTIONS = (
    "-XX:+DisplayVMOutputToStderr",
    "-Xlog:disable",
    "-Xlog:all=warning:stderr:uptime,level,tags",
)


def session_conf(settings: Settings, app_name: str) -> dict[str, str]:
    """Every Spark setting AIS relies on, as plain strings (also used by the k8s submit script)."""
    conf = {
        "spark.app.name": app_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.defaultCatalog": settings.catalog_name,
        "spark.sql.shuffle.partitions": settings.runtime("spark_shuffle_partitions"),
        "spark.sql.adaptive.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.runtime("spark_driver_memory"),
        "spark.executor.memory": settings.runtime("spark_executor_memory"),
        "spark.executor.cores": settings.runtime("spark_executor_cores"),
    } | spark_catalog_conf(settings)
    if settings.runtime("hdfs_namenode"):
        conf["spark.hadoop.fs.defaultFS"] = settings.runtime("hdfs_namenode")
    k8s_master = settings.runtime("spark_k8s_master")
    if k8s_master:
        if not settings.runtime("spark_image"):
            raise ConfigError("runtime.spark_image must be set when spark_k8s_master is set")
        conf |= {
            "spark.master": k8s_master,
            "spark.kubernetes.namespace": settings.runtime("spark_k8s_namespace"),
            "spark.kubernetes.container.image": settings.runtime("spark_image"),
            "spark.kubernetes.authenticate.driver.serviceAccountName":
                settings.runtime("spark_driver_service_account"),
            "spark.executor.instances": settings.runtime("spark_executor_instances"),
        }
    else:
        conf["spark.master"] = settings.runtime("spark_master")
        conf["spark.driver.memory"] = settings.runtime("spark_local_memory")
        log_config = settings.project_root / "config" / "spark-log4j2.properties"
        conf["spark.driver.extraJavaOptions"] = " ".join(
            [f"-Dlog4j2.configurationFile=file:{log_config}", *LOCAL_JVM_STDERR_OPTIONS,
             settings.runtime("spark_local_java_options").strip()]
        ).strip()
        conf["spark.jars"] = ",".join(local_jars(settings))
        # Python workers run the interpreter of this process (the project's virtual environment).
        conf["spark.pyspark.python"] = sys.executable
        conf["spark.pyspark.driver.python"] = sys.executable
    return conf


def get_spark(settings: Settings, app_name: str = "ais") -> SparkSession:
    """Return the process's SparkSession, creating it on first use."""
    from pyspark.sql import SparkSession

    if not settings.runtime("spark_k8s_master"):
        # PySpark picks the worker interpreter from this variable (the conf alone is not enough):
        # local workers must run this virtual environment, not whatever python3 is on PATH.
        os.environ["PYSPARK_PYTHON"] = sys.executable
        # Local runs keep Spark's scratch space inside the project's var/ folder (given as
        # SPARK_LOCAL_DIRS: as spark.local.dir, Spark warns on every start that a cluster manager
        # would override it), and the driver binds the loopback (one JVM; nothing reaches it from
        # outside), which spares the "hostname resolves to a loopback address" warning.
        os.environ.setdefault("SPARK_LOCAL_DIRS", str(settings.project_root / "var" / "spark-tmp"))
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in session_conf(settings, app_name).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    quiet_single_series_windows(spark)
    return spark


# The feature windows of AIS run over one hourly series of the whole city (lags, rolling
# statistics, targets: ais.features.pm25; the as-of join's running maximum: ais.features.master).
# They have no key to partition by: a partition per anything would cut the series, so Spark moves
# the series into one partition on purpose (a few tens of thousands of rows), and WindowExec warns
# "No Partition Defined for Window operation" once per window and per plan. Only that logger is
# raised to ERROR; every other Spark warning stays.
SINGLE_SERIES_WINDOW_LOGGER = "org.apache.spark.sql.execution.window.WindowExec"


def quiet_single_series_windows(spark: SparkSession) -> None:
    """Raise :data:`SINGLE_SERIES_WINDOW_LOGGER` to ERROR in the driver's log4j."""
    jvm = spark.sparkContext._jvm
    if jvm is None:
        return
    log4j = jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setLevel(SINGLE_SERIES_WINDOW_LOGGER, log4j.Level.ERROR)
