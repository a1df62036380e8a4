"""The session's log: Spark at WARN, the one-series window warning silenced, the window still right."""

from __future__ import annotations

from typing import Any

from ais.spark.session import SINGLE_SERIES_WINDOW_LOGGER


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
