"""The API's Prometheus metrics, one registry per app, rendered by prometheus_client: requests and
latency by route and status, cache hits by route, the served forecast's age and the prediction
table's snapshot id (both read at scrape time).

The per-request figures are plain Python counters (a dict lookup, a bisect and three additions,
about 0.4 µs; prometheus_client's own Counter and Histogram take about 5 µs a request with their
locks), updated on the event loop's thread only, and turned into a counter and a histogram family
by a collector when scraped. Each worker process of ``ais serve --workers N`` has its own registry:
a scrape sees the worker that answered it."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

UNMATCHED = "unmatched"  # the route label of a request no route matched (404s of unknown paths)
# latency buckets (seconds): the cached answers take well under a millisecond
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RequestStats(Collector):
    """Requests, latency and cache hits as plain counters; a prometheus_client collector."""

    def __init__(self, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.bounds = buckets
        # (route, status) -> [count, sum of seconds, count per bucket ..., count above the last bound]
        self.series: dict[tuple[str, str], list[float]] = {}
        self.hits: dict[str, int] = {}

    def slot(self, route: str, status: int) -> list[float]:
        key = (route, str(status))
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0, 0.0] + [0] * (len(self.bounds) + 1)
        return series

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.record(self.slot(route, status), seconds)

    def record(self, series: list[float], seconds: float) -> None:
        series[0] += 1
        series[1] += seconds
        series[2 + bisect.bisect_left(self.bounds, seconds)] += 1

    def hit(self, route: str) -> None:
        self.hits[route] = self.hits.get(route, 0) + 1

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily("ais_api_requests", "HTTP requests answered, by route and status",
                                       labels=("route", "status"))
        latency = HistogramMetricFamily("ais_api_request_duration_seconds",
                                        "time to answer a request, by route and status", labels=("route", "status"))
        for (route, status), series in sorted(self.series.items()):
            requests.add_metric([route, status], series[0])
            cumulative, buckets = 0.0, []
            for bound, count in zip((*map(str, self.bounds), "+Inf"), series[2:], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([route, status], buckets, sum_value=series[1])
        hits = CounterMetricFamily("ais_api_cache_hits", "answers served from the in-memory cache, by route",
                                   labels=("route",))
        for route, count in sorted(self.hits.items()):
            hits.add_metric([route], count)
        yield requests
        yield latency
        yield hits


class ApiMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, forecast_age_s: Callable[[], float | None], snapshot_id: Callable[[], int | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.stats = RequestStats()
        self.registry.register(self.stats)
        age = Gauge("ais_api_forecast_age_seconds", "seconds since the served forecast was created (NaN: none)",
                    registry=self.registry)
        age.set_function(lambda: _or_nan(forecast_age_s()))
        snapshot = Gauge("ais_api_prediction_snapshot_id", "the prediction table snapshot cached (NaN: none; a "
                         "float: ids above 2^53 lose their last digits)", registry=self.registry)
        snapshot.set_function(lambda: _or_nan(snapshot_id()))

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.stats.observe(route, status, seconds)

    def bound(self, route: str, status: int) -> Callable[[float], None]:
        """``observe`` for one (route, status) with the series looked up once (the fast path)."""
        series, record = self.stats.slot(route, status), self.stats.record
        return lambda seconds: record(series, seconds)

    def hit(self, route: str) -> None:
        self.stats.hit(route)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
