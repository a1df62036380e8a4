"""Silver job of the Visual Crossing weather history: a window of
``weather.visualcrossing_history_bronze`` (daily and hourly records) through
:func:`ais.spark.silver_transforms.weather_history_vc`, MERGEd on (resolution, period_start) into
``weather.visualcrossing_hanoi_silver``. Master gold joins it "as of" its available_at
(ais.features.master, source ``weather_history``).
"""

from __future__ import annotations

from typing import Any

from ais import tables
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.weather_satellite_silver import _in_window, _run
from ais.spark.silver_transforms import weather_history_vc


def run_weather_history_vc(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.WEATHER_VC_BRONZE.qualified(ctx.catalog)), "event_time", window,
                        full_refresh)
    return _run(ctx, window, full_refresh, weather_history_vc(bronze), tables.WEATHER_VC_SILVER, "period_start")
