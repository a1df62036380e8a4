"""Every Iceberg namespace, table, schema, partition spec and merge key of AIS (CONTRACTS.md §3).

One place: ``ais ensure-tables`` creates or evolves these, Spark jobs and PyIceberg code import them,
tests check them. Types are written as short strings ("string", "long", "int", "double", "boolean",
"timestamp" (UTC instant), "date", "list<string>", "list<int>") or a :class:`Struct`.

The serving-features, prediction and registry schemas are the exact column lists of seed 001
§9.1–§9.3; do not add columns to those three.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ais.features.columns import CONTRACT_FEATURE_NAMES, EXTRA_FEATURE_NAMES, FEATURES, TARGETS

NAMESPACES: tuple[str, ...] = ("weather", "air_quality", "satellite", "features", "models",
                               "trajectory", "predictions", "audit")


@dataclass(frozen=True)
class Struct:
    fields: tuple[Column, ...]


@dataclass(frozen=True)
class ListOf:
    """A list whose elements are structs (simple element types use "list<type>")."""

    element: Struct


@dataclass(frozen=True)
class Column:
    name: str
    type: str | Struct | ListOf
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Partition:
    source: str
    transform: str = "identity"  # identity | day | month | year


@dataclass(frozen=True)
class TableSpec:
    namespace: str
    name: str
    columns: tuple[Column, ...]
    merge_keys: tuple[str, ...]
    partitions: tuple[Partition, ...] = ()
    doc: str = ""
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def identifier(self) -> str:
        """namespace.table, as PyIceberg names it."""
        return f"{self.namespace}.{self.name}"

    def qualified(self, catalog: str) -> str:
        """catalog.namespace.table, as Spark SQL names it."""
        return f"{catalog}.{self.namespace}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.identifier} has no column {name!r}")


def C(name: str, type_: str | Struct | ListOf, required: bool = False, doc: str = "") -> Column:
    return Column(name, type_, required, doc)


# Columns that record how or when a row was written, not what it says. Writers leave them out of
# the "did anything change" comparison, so a rerun that brings the same facts writes nothing.
VOLATILE_COLUMNS: frozenset[str] = frozenset({
    "ingest_time", "window_mode", "window_start_utc", "window_end_utc", "trace", "job_run_id",
    "input_snapshot_id", "output_snapshot_id", "created_at", "updated_at", "spark_processed_at",
    "recorded_at", "inference_run_id", "input_file",
})

TRACE = Struct((C("request_id", "string"), C("producer", "string"), C("retry_count", "int")))

ENVELOPE: tuple[Column, ...] = (
    C("event_id", "string", True, "deterministic from the natural key (CONTRACTS.md §2)"),
    C("source", "string", True, "openaq | weatherapi | cdse | nasa_cmr | cds | airnow | simulated"),
    C("event_time", "timestamp", True),
    C("ingest_time", "timestamp"),
    C("available_at", "timestamp", doc="when the value could first have been known"),
    C("schema_version", "string", True),
    C("quality_flags", "list<string>"),
    C("window_mode", "string"),
    C("window_start_utc", "timestamp"),
    C("window_end_utc", "timestamp"),
    C("trace", TRACE),
)
LINEAGE: tuple[Column, ...] = (
    C("job_run_id", "string", doc="the run of the job that wrote the row"),
    C("input_snapshot_id", "string", doc="input position: source snapshot id, landing file or offsets"),
    C("output_snapshot_id", "string", doc="target snapshot the write was based on"),
)
WRITE_TIME: tuple[Column, ...] = (C("job_run_id", "string"), C("updated_at", "timestamp"))


def _bronze(namespace: str, name: str, source_fields: tuple[Column, ...], doc: str) -> TableSpec:
    return TableSpec(namespace, name, ENVELOPE + source_fields + LINEAGE + (C("input_file", "string"),),
                     merge_keys=("event_id",), partitions=(Partition("event_time", "month"),), doc=doc)


_SAT_STATS: tuple[Column, ...] = (
    C("stats_min", "double"), C("stats_max", "double"), C("stats_mean", "double"),
    C("stats_std", "double"), C("valid_pixel_count", "long"), C("total_pixel_count", "long"),
    C("valid_pct", "double"), C("unit", "string"),
)

OPENAQ_FIELDS: tuple[Column, ...] = (
    C("location_id", "long", True), C("location_name", "string"), C("sensor_id", "long", True),
    C("parameter", "string", True), C("units", "string"), C("value", "double"),
    C("latitude", "double"), C("longitude", "double"),
    C("datetime_from_utc", "timestamp"), C("datetime_to_utc", "timestamp"),
    C("coverage_expected_count", "int"), C("coverage_observed_count", "int"),
    C("coverage_pct", "double"),
)
WEATHER_FIELDS: tuple[Column, ...] = (
    C("province", "string", True), C("query", "string"), C("local_time", "string"),
    C("time_epoch", "long"), C("latitude", "double"), C("longitude", "double"),
    C("tz_id", "string"), C("temp_c", "double"), C("feelslike_c", "double"),
    C("humidity", "int"), C("dewpoint_c", "double"), C("wind_kph", "double"),
    C("wind_degree", "int"), C("wind_dir", "string"), C("gust_kph", "double"),
    C("pressure_mb", "double"), C("precip_mm", "double"), C("cloud", "int"),
    C("vis_km", "double"), C("uv", "double"), C("condition_code", "int"),
    C("condition_text", "string"), C("is_day", "int"), C("will_it_rain", "int"),
    C("chance_of_rain", "int"),
)
# Visual Crossing Timeline history, one record per local day or hour (ais-ingest weather-vc, C:
# native/include/ais/weather_vc.h); Visual Crossing metric units.
WEATHER_VC_FIELDS: tuple[Column, ...] = (
    C("resolution", "string", True, "day | hour"), C("location", "string", True),
    C("local_date", "string", doc="YYYY-MM-DD in local time (UTC+7)"),
    C("local_time", "string", doc="YYYY-MM-DDTHH:MM local, hourly records only"),
    C("period_end", "timestamp", doc="UTC end of the day or hour"),
    C("temp_c", "double"), C("tempmax_c", "double"), C("tempmin_c", "double"), C("feelslike_c", "double"),
    C("dewpoint_c", "double"), C("humidity", "double", doc="%"), C("precip_mm", "double"),
    C("precipprob", "double", doc="%"), C("precipcover", "double", doc="% of the day's hours with rain"),
    C("windgust_kph", "double"), C("windspeed_kph", "double"), C("winddir_deg", "double", doc="FROM, degrees"),
    C("sealevelpressure_hpa", "double"), C("cloudcover", "double", doc="%"), C("visibility_km", "double"),
    C("solarradiation_wm2", "double"), C("uvindex", "double"), C("conditions", "string"),
    C("stations", "string", doc="contributing stations, comma-separated"),
)
# WeatherAPI forecast.json, one record per (province, issue, valid hour) (ais-ingest weather-forecast,
# C): the hour object of history.json (event_time = the valid hour) and the issue it belongs to
WEATHER_FORECAST_FIELDS: tuple[Column, ...] = WEATHER_FIELDS + (
    C("issue_time", "timestamp", True, "when the forecast was issued (see native/include/ais/weather_forecast.h)"),
    C("lead_hours", "int", doc="valid hour minus issue hour, whole hours"),
)
# Sentinel-5P grid cells of one product file (cells with a valid pixel; edges on multiples of grid_deg)
S5P_GRID_CELL = Struct((C("lat", "double"), C("lon", "double"), C("value_mean", "double"), C("valid_count", "long")))
S5P_FIELDS: tuple[Column, ...] = (
    C("product", "string", True), C("product_id", "string", True), C("product_name", "string"),
    C("sensing_start", "timestamp"), C("sensing_end", "timestamp"), C("orbit", "int"),
    C("processing_mode", "string"), C("qa_threshold", "double"),
) + _SAT_STATS + (
    C("grid_deg", "double"),
    C("grid_cells", ListOf(S5P_GRID_CELL), doc="sentinel5p.grid_area cells -> satellite.sentinel5p_grid_silver"),
)
MAIAC_FIELDS: tuple[Column, ...] = (
    C("granule_id", "string", True), C("tile", "string"), C("acquisition_date", "date"),
    C("time_start", "timestamp"), C("time_end", "timestamp"),
    C("aod_047_mean", "double"), C("aod_047_min", "double"), C("aod_047_max", "double"),
    C("aod_047_std", "double"), C("aod_047_valid_pixel_count", "long"),
) + _SAT_STATS
# ERA5 single-level values decoded for the Hanoi area, one element per hour, in ERA5's own units
# (m/s, m, Pa, K, m of water); the silver job converts.
ERA5_HANOI_HOUR = Struct((
    C("time", "timestamp"), C("u10", "double"), C("v10", "double"), C("blh", "double"), C("sp", "double"),
    C("t2m", "double"), C("d2m", "double"), C("tp", "double"), C("msl", "double"),
))
ERA5_FIELDS: tuple[Column, ...] = (
    C("dataset_type", "string", True, "single_levels | pressure_levels"),
    C("period_start", "timestamp"), C("period_end", "timestamp"), C("file_path", "string"),
    C("file_format", "string"), C("size_bytes", "long"), C("sha256", "string"),
    C("variables", "list<string>"), C("pressure_levels_hpa", "list<int>"), C("area", "string"),
    C("request_id", "string"),
    C("hanoi_hourly", ListOf(ERA5_HANOI_HOUR), doc="single levels only: bbox means per hour"),
)

_AUDIT_COMMON: tuple[Column, ...] = (
    C("source_topic", "string", True), C("event_id", "string"), C("reason", "string", True),
    C("raw_payload", "string"), C("recorded_at", "timestamp", True), C("job_run_id", "string"),
    C("input_file", "string"),
)

_WEATHER_SURFACE = (
    C("temp_c", "double"), C("humidity", "double"), C("dewpoint_c", "double"),
    C("wind_kph", "double"), C("wind_degree", "double"), C("gust_kph", "double"),
    C("pressure_mb", "double"), C("precip_mm", "double"), C("cloud", "double"),
    C("vis_km", "double"), C("uv", "double"), C("condition_code", "int"), C("is_day", "int"),
    C("will_it_rain", "int"), C("chance_of_rain", "int"),
)

_FEATURE_COLUMNS: tuple[Column, ...] = tuple(C(n, t) for n, t in FEATURES)
_CONTRACT_FEATURE_COLUMNS: tuple[Column, ...] = tuple(c for c in _FEATURE_COLUMNS if c.name in CONTRACT_FEATURE_NAMES)
_EXTRA_FEATURE_COLUMNS: tuple[Column, ...] = tuple(c for c in _FEATURE_COLUMNS if c.name in EXTRA_FEATURE_NAMES)
_TARGET_COLUMNS: tuple[Column, ...] = tuple(C(t, "double") for t in TARGETS.values())
_YEAR_MONTH = (C("year", "int"), C("month_partition", "int"))
# Hours between the base hour and the observation a late source's features come from (null when
# they are); the names follow ais.features.master.AGE_COLUMNS.
_AGE_COLUMNS: tuple[Column, ...] = tuple(C(f"{s}_age_h", "double") for s in (
    "weather", "weather_history", "era5", "s5p_no2", "s5p_co", "s5p_so2", "s5p_o3", "s5p_aer_ai", "maiac", "traj"))
_BY_YEAR_MONTH = (Partition("year"), Partition("month_partition"))

TABLES: dict[str, TableSpec] = {}


def _register(*specs: TableSpec) -> None:
    for spec in specs:
        TABLES[spec.identifier] = spec


_register(
    # ---- bronze (MERGE on event_id) ----------------------------------------------------------
    _bronze("air_quality", "openaq_hourly_bronze", OPENAQ_FIELDS, "OpenAQ v3 sensor hours"),
    _bronze("weather", "weather_history_bronze", WEATHER_FIELDS, "WeatherAPI history.json hours"),
    _bronze("satellite", "sentinel5p_summary_bronze", S5P_FIELDS, "S5P L2 product statistics"),
    _bronze("satellite", "maiac_summary_bronze", MAIAC_FIELDS, "MCD19A2 granule statistics"),
    _bronze("weather", "era5_files_bronze", ERA5_FIELDS, "ERA5 downloaded files"),
    _bronze("weather", "visualcrossing_history_bronze", WEATHER_VC_FIELDS,
            "Visual Crossing daily and hourly history records"),
    _bronze("weather", "weatherapi_forecast_bronze", WEATHER_FORECAST_FIELDS,
            "WeatherAPI forecast.json hours, every issue"),
    # ---- audit --------------------------------------------------------------------------------
    TableSpec("audit", "invalid_events_bronze",
              _AUDIT_COMMON + (C("raw_sha256", "string", True),
                               C("detail", "string", doc="the reason in words (dead letters of ais-ingest)"),
                               C("dlq_id", "string", doc="ais-ingest's id of the dead letter, dlq_<hash>")),
              merge_keys=("source_topic", "reason", "raw_sha256"), partitions=(Partition("recorded_at", "day"),),
              doc="events that could not be parsed or validated; the same bad record is kept once"),
    TableSpec("audit", "late_events_bronze",
              _AUDIT_COMMON + (C("event_time", "timestamp"), C("available_at", "timestamp"),
                               C("ingest_time", "timestamp"), C("lateness_seconds", "long")),
              merge_keys=("source_topic", "event_id"), partitions=(Partition("recorded_at", "day"),),
              doc="events that arrived after their window; they are merged into bronze as well"),
    # ---- tier-1 silver ------------------------------------------------------------------------
    TableSpec("air_quality", "openaq_hanoi_station_hourly_silver",
              (C("location_id", "long", True), C("sensor_id", "long", True), C("parameter", "string", True),
               C("hour", "timestamp", True), C("location_name", "string"), C("latitude", "double"),
               C("longitude", "double"), C("value", "double"), C("units", "string"),
               C("coverage_pct", "double"), C("qc_status", "string", doc="valid | reason it is not"),
               C("source", "string"), C("event_id", "string")) + WRITE_TIME,
              merge_keys=("location_id", "sensor_id", "parameter", "hour"),
              partitions=(Partition("hour", "month"),)),
    TableSpec("air_quality", "openaq_hanoi_hourly_silver",
              (C("hour", "timestamp", True), C("pm25_median", "double"), C("pm25_mean", "double"),
               C("pm25_min", "double"), C("pm25_max", "double"), C("pm25_std", "double"),
               C("station_count", "int"), C("coverage_avg", "double"), C("source", "string")) + WRITE_TIME,
              merge_keys=("hour",), partitions=(Partition("hour", "month"),)),
    TableSpec("weather", "weather_hanoi_surface_proxy_silver",
              (C("hour", "timestamp", True), *_WEATHER_SURFACE,
               C("available_at", "timestamp", doc="latest available_at of the hour's WeatherAPI records"),
               C("source", "string")) + WRITE_TIME,
              merge_keys=("hour",), partitions=(Partition("hour", "month"),)),
    # Visual Crossing history for Hanoi: one row per local day (resolution "day", period_start =
    # local midnight in UTC) and, where recorded, per hour; available_at as the record carries it
    TableSpec("weather", "visualcrossing_hanoi_silver",
              (C("resolution", "string", True), C("period_start", "timestamp", True),
               *(c for c in WEATHER_VC_FIELDS if c.name not in ("resolution", "location", "local_time",
                                                                "feelslike_c", "precipcover", "stations")),
               C("available_at", "timestamp"), C("source", "string")) + WRITE_TIME,
              merge_keys=("resolution", "period_start"), partitions=(Partition("period_start", "month"),)),
    # WeatherAPI forecasts for Hanoi: every issue kept, so features can take the newest issue known at
    # a base hour (available_at = issue_time: a forecast is known once issued)
    TableSpec("weather", "weather_forecast_hanoi_silver",
              (C("location_id", "string", True, "the province key (Ha_Noi)"), C("issue_time", "timestamp", True),
               C("valid_time", "timestamp", True), C("lead_hours", "int"),
               C("temp_c", "double"), C("humidity", "double"), C("wind_kph", "double"),
               C("wind_degree", "double"), C("precip_mm", "double"), C("pressure_mb", "double"),
               C("cloud", "double"), C("chance_of_rain", "int"),
               C("available_at", "timestamp"), C("source", "string")) + WRITE_TIME,
              merge_keys=("location_id", "issue_time", "valid_time"), partitions=(Partition("valid_time", "month"),)),
    TableSpec("weather", "era5_surface_hanoi_hourly_silver",
              (C("hour", "timestamp", True), C("wind_u10", "double"), C("wind_v10", "double"),
               C("wind_speed", "double"), C("wind_dir", "double"), C("pbl_height_m", "double"),
               C("low_pbl", "boolean"), C("surface_pressure", "double", doc="Pa"),
               C("temperature_2m_c", "double"), C("dewpoint_2m_c", "double"),
               C("total_precipitation_mm", "double"), C("mean_sea_level_pressure", "double", doc="Pa"),
               C("available_at", "timestamp"), C("source", "string")) + WRITE_TIME,
              merge_keys=("hour",), partitions=(Partition("hour", "month"),)),
    TableSpec("satellite", "sentinel5p_hanoi_daily_silver",
              (C("product", "string", True), C("date", "date", True), C("value_mean", "double"),
               C("value_min", "double"), C("value_max", "double"), C("value_std", "double"),
               C("valid_pixel_count", "long"), C("total_pixel_count", "long"), C("valid_pct", "double"),
               C("overpass_time_utc", "timestamp"), C("unit", "string"), C("available_at", "timestamp"),
               C("source", "string")) + WRITE_TIME,
              merge_keys=("product", "date"), partitions=(Partition("date", "month"),)),
    TableSpec("satellite", "maiac_hanoi_daily_silver",
              (C("date", "date", True), C("aod_047_mean", "double"), C("aod_055_mean", "double"),
               C("aod_mean", "double"), C("aod_min", "double"), C("aod_max", "double"),
               C("aod_std", "double"), C("valid_pct", "double"), C("tile_count", "int"),
               C("available_at", "timestamp"), C("source", "string")) + WRITE_TIME,
              merge_keys=("date",), partitions=(Partition("date", "month"),)),
    TableSpec("satellite", "sentinel5p_grid_silver",
              (C("product", "string", True), C("date", "date", True), C("lat", "double", True),
               C("lon", "double", True), C("value_mean", "double"), C("valid_count", "long"),
               C("overpass_time_utc", "timestamp"), C("available_at", "timestamp"),
               C("source", "string")) + WRITE_TIME,
              merge_keys=("product", "date", "lat", "lon"), partitions=(Partition("date", "month"),)),
    TableSpec("features", "openaq_spatial_gradient_silver",
              (C("hour", "timestamp", True), C("pm25_grad_n", "double"), C("pm25_grad_s", "double"),
               C("pm25_grad_e", "double"), C("pm25_grad_w", "double"), C("pm25_spatial_std", "double"),
               C("pm25_grad_mag", "double"), C("station_count", "int")) + WRITE_TIME,
              merge_keys=("hour",), partitions=(Partition("hour", "month"),)),
    # ---- tier 2: trajectories -----------------------------------------------------------------
    TableSpec("weather", "era5_arl_files_bronze",
              (C("arl_file_id", "string", True), C("era5_event_id", "string"), C("path", "string"),
               C("size_bytes", "long"), C("sha256", "string"), C("period_start", "timestamp"),
               C("period_end", "timestamp"), C("pressure_levels_hpa", "list<int>"),
               C("grid_west", "double"), C("grid_east", "double"), C("grid_south", "double"),
               C("grid_north", "double"), C("grid_step_deg", "double"), C("source", "string")) + WRITE_TIME,
              merge_keys=("arl_file_id",)),
    TableSpec("trajectory", "hysplit_runs_bronze",
              (C("run_id", "string", True), C("receptor_lat", "double"), C("receptor_lon", "double"),
               C("release_height_m", "double"), C("start_time", "timestamp"),
               C("direction", "string", doc="backward | forward"), C("duration_h", "int"),
               C("trigger", "string", doc="scheduled | pm25_threshold"),
               C("engine", "string", doc="ais-traj | hysplit"), C("status", "string"),
               C("error_message", "string"), C("attempts", "int"), C("started_at", "timestamp"),
               C("finished_at", "timestamp"), C("met_files", "list<string>"),
               C("source", "string", doc="source of the met: era5 | simulated")) + WRITE_TIME,
              merge_keys=("run_id",), partitions=(Partition("start_time", "month"),)),
    TableSpec("trajectory", "hysplit_trajectories_silver",
              (C("traj_id", "string", True), C("age_h", "int", True), C("run_id", "string"),
               C("lat", "double"), C("lon", "double"), C("alt_m", "double"), C("pressure_hpa", "double"),
               C("timestamp", "timestamp"), C("source", "string", doc="era5 | simulated (the met)")) + WRITE_TIME,
              merge_keys=("traj_id", "age_h")),
    TableSpec("trajectory", "hysplit_trajectories_clustered_silver",
              (C("traj_id", "string", True), C("run_id", "string"), C("start_time", "timestamp"),
               C("cluster_id", "int"), C("cluster_run_id", "string"), C("k", "int"),
               C("source_lat", "double", doc="upwind end of the path, not the receptor"),
               C("source_lon", "double"), C("distance_to_centroid", "double"),
               C("source", "string", doc="data source of the path (the met)")) + WRITE_TIME,
              merge_keys=("traj_id",)),
    TableSpec("features", "trajectory_path_satellite_silver",
              (C("traj_id", "string", True), C("path_no2_mean", "double"), C("path_aer_mean", "double"),
               C("path_no2_max", "double"), C("path_no2_std", "double"), C("path_no2_aer_ratio", "double"),
               C("n_samples", "int"),
               C("source", "string", doc="sources of the path and of the S5P rows sampled")) + WRITE_TIME,
              merge_keys=("traj_id",)),
    TableSpec("features", "trajectory_hourly_features_silver",
              (C("hour", "timestamp", True), C("dominant_cluster", "int"), C("n_traj", "int"),
               C("source_lat", "double"), C("source_lon", "double"), C("path_no2_mean", "double"),
               C("path_aer_mean", "double"), C("path_no2_aer_ratio", "double"),
               C("source", "string", doc="sources of the trajectories and path samples used")) + WRITE_TIME,
              merge_keys=("hour",)),
    # ---- gold ---------------------------------------------------------------------------------
    TableSpec("features", "hanoi_pm25_master_hourly_gold",
              (C("hour", "timestamp", True), *_FEATURE_COLUMNS, *_TARGET_COLUMNS, *_AGE_COLUMNS, *_YEAR_MONTH,
               C("source", "string"), C("created_at", "timestamp"), *WRITE_TIME),
              merge_keys=("hour",), partitions=_BY_YEAR_MONTH,
              doc="continuous hourly grid; features known at the hour, targets from later hours"),
    TableSpec("features", "hanoi_pm25_training_dataset_gold",
              (C("dataset_version", "string", True), C("feature_set_name", "string", True),
               C("hour", "timestamp", True), *_FEATURE_COLUMNS, *_TARGET_COLUMNS,
               C("split", "string", doc="train | validation | test | gap"), *_YEAR_MONTH,
               C("source", "string"), C("created_at", "timestamp"), *WRITE_TIME),
              merge_keys=("dataset_version", "feature_set_name", "hour"), partitions=_BY_YEAR_MONTH),
    TableSpec("features", "hanoi_pm25_serving_features_gold",  # exact schema, seed 001 §9.1
              (C("base_hour", "timestamp", True), C("location_id", "string", True),
               C("location_name", "string"), C("feature_version", "string", True),
               C("feature_set_name", "string"), C("dataset_version", "string"), C("schema_hash", "string"),
               *_CONTRACT_FEATURE_COLUMNS, *_YEAR_MONTH, C("created_at", "timestamp"),
               C("spark_processed_at", "timestamp")),
              merge_keys=("base_hour", "location_id", "feature_version"), partitions=_BY_YEAR_MONTH),
    # the model features beyond the contract's 67 (ais.features.columns.EXTRA_FEATURE_NAMES) for the
    # same serving rows, written by the same job: the serving table above keeps its exact schema
    TableSpec("features", "hanoi_pm25_serving_extra_features_gold",
              (C("base_hour", "timestamp", True), C("location_id", "string", True),
               C("feature_version", "string", True), C("schema_hash", "string"),
               *_EXTRA_FEATURE_COLUMNS, *_YEAR_MONTH, C("created_at", "timestamp"),
               C("spark_processed_at", "timestamp")),
              merge_keys=("base_hour", "location_id", "feature_version"), partitions=_BY_YEAR_MONTH),
    TableSpec("predictions", "hanoi_pm25_forecast_gold",  # exact schema, seed 001 §9.2
              (C("prediction_id", "string", True), C("base_hour", "timestamp", True),
               C("location_id", "string", True), C("location_name", "string"), C("pm25_now", "double"),
               C("pm25_6h", "double"), C("risk_6h", "string"), C("pm25_12h", "double"),
               C("risk_12h", "string"), C("pm25_24h", "double"), C("risk_24h", "string"),
               C("dominant_cluster", "int"), C("source_lat", "double"), C("source_lon", "double"),
               C("path_no2_mean", "double"), C("path_aer_mean", "double"), C("pm25_grad_mag", "double"),
               C("model_version", "string", True), C("model_version_6h", "string"),
               C("model_version_12h", "string"), C("model_version_24h", "string"),
               C("model_status", "string"), C("feature_version", "string", True),
               C("feature_schema_hash", "string"), C("inference_run_id", "string"),
               C("created_at", "timestamp"), *_YEAR_MONTH),
              merge_keys=("base_hour", "location_id", "model_version", "feature_version"),
              partitions=_BY_YEAR_MONTH),
    # the 80 % interval of each forecast (issue 15 item 5; ais.ml.intervals), beside the exact §9.2
    # prediction row and keyed like it; written by ais predict when the models carry a calibration
    TableSpec("predictions", "hanoi_pm25_forecast_interval_gold",
              (C("prediction_id", "string", True), C("base_hour", "timestamp", True),
               C("location_id", "string", True), C("model_version", "string", True),
               C("feature_version", "string", True),
               *(C(f"pm25_{q}_{h}h", "double", doc=f"{'lower' if q == 'p10' else 'upper'} bound, {h} h")
                 for h in (6, 12, 24) for q in ("p10", "p90")),
               C("coverage", "double", doc="nominal coverage of [p10, p90] (0.8)"),
               C("interval_method", "string"), C("inference_run_id", "string"), C("created_at", "timestamp"),
               *_YEAR_MONTH),
              merge_keys=("base_hour", "location_id", "model_version", "feature_version"),
              partitions=_BY_YEAR_MONTH),
    # every forecast, one row per lead time, and once the target hour's PM2.5 is in silver its
    # observation and errors (forecast-scoring, ais.ml.scoring); keyed like the prediction table
    # plus the lead time, so a re-scored row replaces itself
    TableSpec("predictions", "hanoi_pm25_forecast_archive_gold",
              (C("base_hour", "timestamp", True), C("horizon_hour", "int", True), C("location_id", "string", True),
               C("model_version", "string", True, "the prediction row's (composite) model_version"),
               C("feature_version", "string", True), C("target_hour", "timestamp", True),
               C("prediction_id", "string"), C("horizon_model_version", "string"), C("model_status", "string"),
               C("pm25_forecast", "double"), C("risk", "string"), C("vn_aqi_category_forecast", "string"),
               C("pm25_persistence", "double", doc="pm25_now: the persistence forecast"),
               C("pm25_p10", "double", doc="lower bound of the forecast's 80 % interval (interval table)"),
               C("pm25_p90", "double", doc="upper bound of the forecast's 80 % interval"),
               C("inside_interval", "boolean", doc="p10 <= observed <= p90, once observed"),
               C("forecast_created_at", "timestamp"), C("pm25_observed", "double"),
               C("observed_station_count", "int"), C("observation_source", "string"),
               C("vn_aqi_category_observed", "string"), C("error", "double", doc="forecast - observed"),
               C("abs_error", "double"), C("persistence_error", "double"), C("category_hit", "boolean"),
               C("updated_at", "timestamp"), C("job_run_id", "string"), *_YEAR_MONTH),
              merge_keys=("base_hour", "horizon_hour", "location_id", "model_version", "feature_version"),
              partitions=_BY_YEAR_MONTH),
    # skill of the production forecasts by lead time over the rolling windows ending at as_of
    TableSpec("predictions", "hanoi_pm25_forecast_skill_gold",
              (C("location_id", "string", True), C("horizon_hour", "int", True), C("window_days", "int", True),
               C("as_of", "timestamp", True), C("forecasts", "long"), C("scored", "long"), C("mae", "double"),
               C("rmse", "double"), C("bias", "double"), C("rmse_persistence", "double"),
               C("skill_vs_persistence", "double", doc="1 - rmse / rmse_persistence over the same hours"),
               C("vn_aqi_hit_rate", "double"),
               C("interval_scored", "long", doc="scored forecasts that carry an 80 % interval"),
               C("coverage_80", "double", doc="share of those whose observation fell inside the interval"),
               C("updated_at", "timestamp"), C("job_run_id", "string")),
              merge_keys=("location_id", "horizon_hour", "window_days")),
    TableSpec("models", "hanoi_pm25_model_runs_gold",
              (C("model_run_id", "string", True), C("model_version", "string", True),
               C("horizon_hour", "int", True), C("location_id", "string"), C("model_type", "string"),
               C("model_path", "string"), C("artifact_uri", "string"), C("feature_importance_uri", "string"),
               C("feature_set_name", "string"), C("feature_version", "string"),
               C("dataset_version", "string"), C("feature_schema_hash", "string"),
               C("train_start", "timestamp"), C("train_end", "timestamp"),
               C("validation_start", "timestamp"), C("validation_end", "timestamp"),
               C("test_start", "timestamp"), C("test_end", "timestamp"),
               C("train_rows", "long"), C("validation_rows", "long"), C("test_rows", "long"),
               C("train_mae", "double"), C("train_rmse", "double"),
               C("validation_mae", "double"), C("validation_rmse", "double"),
               C("mae", "double", doc="test"), C("rmse", "double", doc="test"), C("mape", "double", doc="test, %"),
               C("rmse_persistence", "double"), C("skill_vs_persistence", "double"),
               C("best_iteration", "int"), C("params_json", "string"), C("data_source", "string"),
               C("status", "string"), C("created_at", "timestamp")),
              merge_keys=("model_run_id", "horizon_hour"), partitions=(Partition("horizon_hour"),),
              doc="run history; never deleted by promotion"),
    TableSpec("models", "hanoi_pm25_model_registry_gold",  # exact schema, seed 001 §9.3
              (C("model_version", "string", True), C("model_run_id", "string"),
               C("horizon_hour", "int", True), C("location_id", "string", True), C("model_type", "string"),
               C("model_path", "string"), C("artifact_uri", "string"), C("feature_set_name", "string"),
               C("feature_version", "string"), C("training_dataset_version", "string"),
               C("feature_schema_hash", "string"), C("status", "string"), C("mae", "double"),
               C("rmse", "double"), C("mape", "double"), C("promoted_at", "timestamp"),
               C("promoted_by", "string"), C("created_at", "timestamp"), C("effective_from", "timestamp"),
               C("effective_to", "timestamp")),
              merge_keys=("model_version", "horizon_hour", "location_id"),
              partitions=(Partition("status"), Partition("horizon_hour")),
              # a promotion commits only on the snapshot it read and retries from a fresh read
              # (ais.ml.registry); PyIceberg's own retry would rebase the write blindly
              properties={"commit.retry.num-retries": "0"}),
)

def table(identifier: str) -> TableSpec:
    """The spec for ``namespace.table`` (a catalog prefix is accepted and ignored)."""
    parts = identifier.split(".")
    key = ".".join(parts[-2:])
    try:
        return TABLES[key]
    except KeyError:
        raise KeyError(f"no table spec for {identifier!r}") from None


def serving_extra_table(serving: TableSpec) -> TableSpec:
    """The companion of serving table ``serving`` (the model features beyond the contract's 67):
    SERVING_EXTRA_GOLD, or ``<name>_extra`` beside a serving table of another name (TARGET_TABLE)."""
    extra = TABLES["features.hanoi_pm25_serving_extra_features_gold"]
    if serving.identifier == "features.hanoi_pm25_serving_features_gold":
        return extra
    return replace(extra, namespace=serving.namespace, name=f"{serving.name}_extra")


def all_tables() -> Iterator[TableSpec]:
    return iter(TABLES.values())


# Short names used by jobs.
OPENAQ_BRONZE = TABLES["air_quality.openaq_hourly_bronze"]
OPENAQ_STATION_HOURLY = TABLES["air_quality.openaq_hanoi_station_hourly_silver"]
OPENAQ_CITY_HOURLY = TABLES["air_quality.openaq_hanoi_hourly_silver"]
MASTER_GOLD = TABLES["features.hanoi_pm25_master_hourly_gold"]
TRAINING_GOLD = TABLES["features.hanoi_pm25_training_dataset_gold"]
SERVING_GOLD = TABLES["features.hanoi_pm25_serving_features_gold"]
SERVING_EXTRA_GOLD = TABLES["features.hanoi_pm25_serving_extra_features_gold"]
PREDICTIONS = TABLES["predictions.hanoi_pm25_forecast_gold"]
FORECAST_INTERVALS = TABLES["predictions.hanoi_pm25_forecast_interval_gold"]
FORECAST_ARCHIVE = TABLES["predictions.hanoi_pm25_forecast_archive_gold"]
FORECAST_SKILL = TABLES["predictions.hanoi_pm25_forecast_skill_gold"]
MODEL_RUNS = TABLES["models.hanoi_pm25_model_runs_gold"]
MODEL_REGISTRY = TABLES["models.hanoi_pm25_model_registry_gold"]
WEATHER_PROXY = TABLES["weather.weather_hanoi_surface_proxy_silver"]
ERA5_SURFACE = TABLES["weather.era5_surface_hanoi_hourly_silver"]
S5P_DAILY = TABLES["satellite.sentinel5p_hanoi_daily_silver"]
MAIAC_DAILY = TABLES["satellite.maiac_hanoi_daily_silver"]
SPATIAL_GRADIENT = TABLES["features.openaq_spatial_gradient_silver"]
TRAJECTORY_HOURLY = TABLES["features.trajectory_hourly_features_silver"]
INVALID_EVENTS = TABLES["audit.invalid_events_bronze"]
LATE_EVENTS = TABLES["audit.late_events_bronze"]
WEATHER_VC_BRONZE = TABLES["weather.visualcrossing_history_bronze"]
WEATHER_VC_SILVER = TABLES["weather.visualcrossing_hanoi_silver"]
WEATHER_FORECAST_BRONZE = TABLES["weather.weatherapi_forecast_bronze"]
WEATHER_FORECAST_SILVER = TABLES["weather.weather_forecast_hanoi_silver"]
