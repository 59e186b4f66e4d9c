"""Prometheus metrics of one bot process (served at GET /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "diana_updates_total", "Telegram updates received, by type", ["type"], registry=self.registry
        )
        self.latency = Histogram(
            "diana_handler_seconds",
            "Time to handle one update",
            ["type"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.decisions = Counter(
            "diana_decisions_total", "Player decisions, by outcome", ["outcome"], registry=self.registry
        )
        self.errors = Counter("diana_errors_total", "Updates whose handler raised", registry=self.registry)
        self.throttled = Counter(
            "diana_throttled_total", "Updates dropped by the flood guard", registry=self.registry
        )
        self.active_release = Gauge(
            "diana_active_release", "Id of the release this process serves", registry=self.registry
        )
        self.reloads = Counter(
            "diana_release_reloads_total", "Releases loaded after a publish", registry=self.registry
        )
        self.reload_failures = Counter(
            "diana_release_load_failures_total",
            "Releases that failed to load here",
            registry=self.registry,
        )
