"""``ais ml backtest --report DIR``: the backtest JSON, four PNG plots and a short Markdown summary.

- ``backtest.json``: the result of :func:`ais.ml.backtest.run_backtest`;
- ``forecast_vs_observed.png``: observed PM2.5 and each horizon's forecast with its 80 % interval,
  over the test month with the most scored hours (by target hour);
- ``error_by_lead_time.png``: RMSE of the model, persistence and the seasonal-naive forecast per horizon;
- ``error_by_season.png``: RMSE of the model and persistence per season and horizon;
- ``interval_reliability.png``: the share of observations inside the 80 % interval per horizon,
  overall and by forecast quintile, against the nominal 80 %;
- ``summary.md``: the figures per horizon and the chosen configurations, and beside them the
  perfect-prognosis upper bound when the run has one (``--weather-forecast perfect-prognosis``).

Plots use matplotlib's Agg back end (files only, no display).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ais.features.columns import SEASONS

FILES: tuple[str, ...] = ("backtest.json", "forecast_vs_observed.png", "error_by_lead_time.png",
                          "error_by_season.png", "interval_reliability.png", "summary.md")
NOMINAL = 0.8
QUANTILES = 5


def _rmse(actual: pd.Series, forecast: pd.Series) -> float:
    return float(np.sqrt(np.mean((actual.to_numpy(np.float64) - forecast.to_numpy(np.float64)) ** 2)))


def busiest_month(rows: Mapping[int, pd.DataFrame]) -> pd.Period:
    """The test month (of target hours) with the most scored rows over all horizons; the first on a tie."""
    months = pd.concat([(r["hour"] + pd.to_timedelta(h, "h")).dt.tz_convert(None).dt.to_period("M")
                        for h, r in rows.items()])
    counts = months.value_counts()
    return min(p for p in counts.index if counts[p] == counts.max())


def season_errors(rows: Mapping[int, pd.DataFrame]) -> dict[int, dict[str, dict[str, float]]]:
    """{horizon: {season: {"model": rmse, "persistence": rmse, "rows": n}}} for seasons with rows."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    for h, r in sorted(rows.items()):
        out[h] = {}
        for season in SEASONS:
            part = r[r["season"] == season]
            if not part.empty:
                out[h][season] = {"model": _rmse(part["actual"], part["forecast"]),
                                  "persistence": _rmse(part["actual"], part["persistence"]), "rows": float(len(part))}
    return out


def reliability(rows: pd.DataFrame, bins: int = QUANTILES) -> list[dict[str, float]]:
    """Coverage of the interval within each forecast quantile bin (lowest forecasts first)."""
    ranks = rows["forecast"].rank(method="first")
    codes = pd.qcut(ranks, q=min(bins, len(rows)), labels=False)
    out = []
    for code in sorted(set(codes)):
        part = rows[codes == code]
        inside = (part["actual"] >= part["p10"]) & (part["actual"] <= part["p90"])
        out.append({"forecast_mean": float(part["forecast"].mean()), "coverage": float(inside.mean()),
                    "rows": float(len(part))})
    return out


def summary_markdown(result: Mapping[str, Any]) -> str:
    lines = ["# Backtest summary", "",
             f"Training targets before {result['cutoff']}; test base hours "
             f"{result['test_start']} to {result['test_end_exclusive']} (exclusive); model {result['model_type']}.", "",
             "| horizon | rows | RMSE model | RMSE persistence | skill vs persistence | coverage 80 % "
             "| mean width 80 % | transform | profile | parameter overrides |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for h in sorted(result["horizons"], key=int):
        got = result["horizons"][h]
        model, chosen = got["model"], got["tuning"]["chosen"]
        lines.append(f"| {h} h | {model['rows']} | {model['rmse']:.2f} | {got['persistence']['rmse']:.2f} "
                     f"| {100 * model['skill_vs_persistence']:.1f} % | {100 * model['coverage_80']:.1f} % "
                     f"| {model['mean_width_80']:.1f} µg/m³ | {chosen['transform']} | {chosen['profile']} "
                     f"| {json.dumps(chosen['param_overrides'], sort_keys=True)} |")
    upper = result.get("perfect_prognosis")
    if upper:
        lines += ["", f"Upper bound, not a forecast ({upper['label']}: the wxf_* forecast features of every row "
                  "filled from the observed weather at the target time; the headline above has no archive of "
                  "issued forecasts, its wxf_* columns are null):", "",
                  "| horizon | rows | RMSE model | skill vs persistence (headline) | skill vs persistence "
                  "(upper bound) | coverage 80 % (upper bound) |", "|---|---|---|---|---|---|"]
        for h in sorted(upper["horizons"], key=int):
            got, head = upper["horizons"][h]["model"], result["horizons"][h]["model"]
            lines.append(f"| {h} h | {got['rows']} | {got['rmse']:.2f} | {100 * head['skill_vs_persistence']:.1f} % "
                         f"| {100 * got['skill_vs_persistence']:.1f} % | {100 * got['coverage_80']:.1f} % |")
    lines += ["", "Configurations are chosen on rolling-origin validation windows before the cutoff "
              "(ais.ml.tuning); the 80 % intervals are split-conformal on those windows' residuals "
              "(ais.ml.intervals). The test period is only scored.", "",
              "Plots: forecast_vs_observed.png, error_by_lead_time.png, error_by_season.png, "
              "interval_reliability.png.", ""]
    return "\n".join(lines)


def write_report(result: Mapping[str, Any], rows: Mapping[int, pd.DataFrame], directory: Path) -> list[Path]:
    """Write every file of :data:`FILES` into ``directory`` (created); returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("no scored test rows to report")
    directory.mkdir(parents=True, exist_ok=True)
    horizons = sorted(rows)
    (directory / "backtest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    month = busiest_month(rows)
    fig, axes = plt.subplots(len(horizons), 1, figsize=(12, 3 * len(horizons)), sharex=True, squeeze=False)
    for ax, h in zip(axes[:, 0], horizons, strict=True):
        r = rows[h].assign(target_hour=rows[h]["hour"] + pd.to_timedelta(h, "h"))
        r = r[r["target_hour"].dt.tz_convert(None).dt.to_period("M") == month]
        ax.fill_between(r["target_hour"], r["p10"], r["p90"], color="tab:blue", alpha=0.2, label="80 % interval")
        ax.plot(r["target_hour"], r["actual"], color="black", lw=0.8, label="observed")
        ax.plot(r["target_hour"], r["forecast"], color="tab:blue", lw=0.8, label=f"forecast {h} h ahead")
        ax.set_ylabel("PM2.5 µg/m³")
        ax.legend(loc="upper right", fontsize=8)
    axes[0, 0].set_title(f"Forecast vs observed, {month}")
    fig.tight_layout()
    fig.savefig(directory / "forecast_vs_observed.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ("model", "persistence", "seasonal_naive"):
        ax.plot(horizons, [result["horizons"][str(h)][name]["rmse"] for h in horizons], marker="o", label=name)
    ax.set_xticks(horizons)
    ax.set(xlabel="lead time (h)", ylabel="RMSE µg/m³", title="Error by lead time")
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / "error_by_lead_time.png", dpi=90)
    plt.close(fig)

    by_season = season_errors(rows)
    fig, axes = plt.subplots(1, len(horizons), figsize=(4 * len(horizons), 4), sharey=True, squeeze=False)
    for ax, h in zip(axes[0], horizons, strict=True):
        seasons = list(by_season[h])
        x = np.arange(len(seasons))
        ax.bar(x - 0.2, [by_season[h][s]["model"] for s in seasons], 0.4, label="model")
        ax.bar(x + 0.2, [by_season[h][s]["persistence"] for s in seasons], 0.4, label="persistence")
        ax.set_xticks(x, seasons)
        ax.set_title(f"{h} h")
    axes[0, 0].set_ylabel("RMSE µg/m³")
    axes[0, 0].legend()
    fig.suptitle("Error by season")
    fig.tight_layout()
    fig.savefig(directory / "error_by_season.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for h in horizons:
        bins = reliability(rows[h])
        ax.plot([b["forecast_mean"] for b in bins], [b["coverage"] for b in bins], marker="o",
                label=f"{h} h (overall {100 * result['horizons'][str(h)]['model']['coverage_80']:.1f} %)")
    ax.axhline(NOMINAL, color="black", ls="--", lw=0.8, label="nominal 80 %")
    ax.axhspan(0.75, 0.85, color="grey", alpha=0.15)
    ax.set(xlabel="mean forecast in the quintile (µg/m³)", ylabel="share inside the interval", ylim=(0, 1),
           title="Reliability of the 80 % intervals")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(directory / "interval_reliability.png", dpi=90)
    plt.close(fig)

    (directory / "summary.md").write_text(summary_markdown(result), encoding="utf-8")
    return [directory / name for name in FILES]
