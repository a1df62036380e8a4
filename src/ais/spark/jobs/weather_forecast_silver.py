"""Silver job of the WeatherAPI forecasts: a window of ``weather.weatherapi_forecast_bronze`` (valid
hours in the window, every issue) through :func:`ais.spark.silver_transforms.weather_forecast` for the
province ``weather_forecast.silver_province``, MERGEd on (location_id, issue_time, valid_time) into
``weather.weather_forecast_hanoi_silver``. A rerun of a window writes nothing new.
"""

from __future__ import annotations

from typing import Any

from ais import tables
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.weather_satellite_silver import _in_window, _run
from ais.spark.silver_transforms import weather_forecast


def run_weather_forecast(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.WEATHER_FORECAST_BRONZE.qualified(ctx.catalog)), "event_time",
                        window, full_refresh)
    rows = weather_forecast(bronze, ctx.settings.require("weather_forecast.silver_province"))
    return _run(ctx, window, full_refresh, rows, tables.WEATHER_FORECAST_SILVER, "valid_time")
