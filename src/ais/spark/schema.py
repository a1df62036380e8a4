"""Table specs as Spark types, and conforming a DataFrame to a table's exact column list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ais.tables import Column, ListOf, Struct, TableSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructField, StructType


def spark_type(type_: str | Struct | ListOf) -> DataType:
    from pyspark.sql import types as T

    if isinstance(type_, Struct):
        return T.StructType([spark_field(c) for c in type_.fields])
    if isinstance(type_, ListOf):
        return T.ArrayType(spark_type(type_.element), containsNull=True)
    simple = {"string": T.StringType(), "long": T.LongType(), "int": T.IntegerType(),
              "double": T.DoubleType(), "boolean": T.BooleanType(), "timestamp": T.TimestampType(),
              "date": T.DateType()}
    if type_ in simple:
        return simple[type_]
    if type_.startswith("list<") and type_.endswith(">"):
        return T.ArrayType(spark_type(type_[5:-1]), containsNull=True)
    raise ValueError(f"unknown column type {type_!r}")


def spark_field(col: Column) -> StructField:
    from pyspark.sql import types as T

    return T.StructField(col.name, spark_type(col.type), nullable=True)


def spark_schema(spec: TableSpec, columns: tuple[Column, ...] | None = None) -> StructType:
    """Every column nullable: required-ness is checked by the job, which routes bad rows to audit."""
    from pyspark.sql import types as T

    return T.StructType([spark_field(c) for c in (columns or spec.columns)])


def conform(df: DataFrame, spec: TableSpec, keep: tuple[str, ...] = ()) -> DataFrame:
    """Exactly the spec's columns, in order and with its types (absent columns become typed nulls),
    followed by the ``keep`` columns unchanged."""
    from pyspark.sql import functions as F

    present = set(df.columns)
    return df.select(*[
        (F.col(c.name) if c.name in present else F.lit(None)).cast(spark_type(c.type)).alias(c.name)
        for c in spec.columns
    ], *keep)
