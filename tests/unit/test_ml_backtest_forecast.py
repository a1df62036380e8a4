"""``ais ml backtest --weather-forecast`` (ais.ml.backtest): the mode is checked before any work, and
the perfect-prognosis frame fills the wxf_* columns from the observed weather, never the headline's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ais.cli import JobError
from ais.config import ConfigError
from ais.features.columns import WXF_COLUMNS
from ais.ml.backtest import check_weather_forecast, perfect_prognosis_frame


def test_perfect_prognosis_needs_the_weather_dir_and_the_mode_is_checked() -> None:
    check_weather_forecast("none", None)
    check_weather_forecast("perfect-prognosis", Path("/weather"))
    with pytest.raises(ConfigError, match="needs --weather-dir"):
        check_weather_forecast("perfect-prognosis", None)
    with pytest.raises(ConfigError, match="--weather-forecast must be one of none, perfect-prognosis"):
        check_weather_forecast("forecast-archive", Path("/weather"))


def test_the_perfect_prognosis_frame_is_filled_and_the_share_counted() -> None:
    hours = pd.date_range("2019-01-01 00:00", periods=4, freq="h", tz="UTC")
    frame = pd.DataFrame({"hour": hours, "pm25_mean": [50.0, 51.0, 52.0, None],
                          **{c: [None] * 4 for c in WXF_COLUMNS}})
    day_start = pd.Timestamp("2018-12-31 17:00", tz="UTC")  # the local day 2019-01-01
    history = pd.DataFrame([{"resolution": "day", "period_start": day_start,
                             "period_end": day_start + pd.Timedelta(days=1), "temp_c": 16.0, "humidity": 75.0,
                             "windspeed_kph": 9.0, "precip_mm": 2.4, "sealevelpressure_hpa": 1020.0}])
    filled, share = perfect_prognosis_frame(frame, history)
    # targets at +6 and +12 h fall in the recorded local day; +24 h in the next one (hours 00..03 ->
    # 2019-01-02 00..03 UTC = 07..10 local on 01-02: no record)
    assert share == {"6": 1.0, "12": 1.0, "24": 0.0}  # of the three rows with PM2.5
    assert filled["wxf_temp_c_6h"].tolist() == [16.0] * 4
    assert filled["wxf_precip_mm_12h"].tolist() == pytest.approx([0.1] * 4)  # the day's total / 24
    assert filled["wxf_wind_kph_6h"].tolist() == [9.0] * 4 and filled["wxf_pressure_mb_12h"].tolist() == [1020.0] * 4
    assert filled["wxf_temp_c_24h"].isna().all()
    # the share counts only rows with PM2.5: a row without it whose target has no record does not lower it
    late = pd.concat([frame, frame.iloc[[3]].assign(hour=pd.Timestamp("2019-01-01 12:00", tz="UTC"))])
    assert perfect_prognosis_frame(late, history)[1]["6"] == 1.0
    assert frame[list(WXF_COLUMNS)].isna().all().all()  # the headline frame keeps its nulls
    with pytest.raises(JobError, match="weather history is empty"):
        perfect_prognosis_frame(frame, history.iloc[0:0])
