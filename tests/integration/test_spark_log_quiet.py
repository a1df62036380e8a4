"""The session's log: Spark at WARN, the one-series window warning silenced, the window still right."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ais.config import Settings
from ais.spark.session import LOCAL_JVM_STDERR_OPTIONS, SINGLE_SERIES_WINDOW_LOGGER, session_conf


def level(spark: Any, name: str) -> str:
    jvm = spark.sparkContext._jvm
    return str(jvm.org.apache.logging.log4j.LogManager.getLogger(name).getLevel().toString())


def test_window_warning_silenced_and_others_kept(spark: Any) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    assert level(spark, SINGLE_SERIES_WINDOW_LOGGER) == "ERROR"
    # the notices of config/spark-log4j2.properties that ask nothing of anyone (each with its reason there)
    for name in ("org.apache.spark.sql.execution.streaming.ResolveWriteToStream",
                 "org.apache.spark.sql.catalyst.util.SparkStringUtils",
                 "org.apache.spark.sql.execution.datasources.v2.DataSourceV2Strategy"):
        assert level(spark, name) == "ERROR", name
    # every other Spark logger keeps the session's WARN
    assert level(spark, "org.apache.spark.sql.execution.SparkPlan") == "WARN"
    assert level(spark, "org.apache.spark.scheduler.DAGScheduler") == "WARN"
    # a window without partitionBy (the shape of the feature windows) still runs over the whole series
    rows = spark.range(5).withColumn("lag", F.lag("id", 1).over(Window.orderBy("id"))).orderBy("id").collect()
    assert [(r["id"], r["lag"]) for r in rows] == [(0, None), (1, 0), (2, 1), (3, 2), (4, 3)]


def test_the_driver_jvm_runs_with_its_messages_on_stderr_and_a_full_size_code_cache(spark: Any) -> None:
    args = list(spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    for option in (*LOCAL_JVM_STDERR_OPTIONS, "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m"):
        assert option in args, (option, args)


def test_the_local_jvm_options_keep_stdout_for_the_program(settings: Settings, tmp_path: Path) -> None:
    """The driver's options, given to a JVM whose code cache is too small to hold what it compiles:
    the JVM's warnings and its code cache summary go to stderr, stdout holds the program's line only
    (the cluster-profile demo's forecast JSON was once preceded by "[warning][codecache] ...")."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("no java on PATH: run `make setup`")
    options = shlex.split(session_conf(settings, "t")["spark.driver.extraJavaOptions"])
    program = tmp_path / "Hello.java"
    program.write_text('public class Hello { public static void main(String[] a) { System.out.println("{}"); } }\n')
    tiny_cache = ["-XX:ReservedCodeCacheSize=2500k", "-XX:+PrintCodeCache"]  # later options win
    done = subprocess.run([java, *options, *tiny_cache, str(program)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "{}\n"
    assert "CodeCache: size=2500Kb" in done.stderr
    # without the options the same summary lands on stdout: the test can tell the difference
    bare = subprocess.run([java, *tiny_cache, str(program)], capture_output=True, text=True, timeout=120, check=False)
    assert "CodeCache: size=2500Kb" in bare.stdout
