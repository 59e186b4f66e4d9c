"""Small helpers shared by the benchmarks: latency percentiles and the closing JSON line."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, latencies_s: Sequence[float], elapsed_s: float) -> dict[str, float | str]:
    count = len(latencies_s)
    return {
        "name": name,
        "count": count,
        "per_second": round(count / elapsed_s, 1) if elapsed_s else 0.0,
        "p50_ms": round(percentile(latencies_s, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies_s, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies_s) * 1000, 2) if latencies_s else 0.0,
    }


def show(row: dict[str, float | str]) -> None:
    print(
        f"{row['name']:<28} {row['count']:>7} ops  {row['per_second']:>9.1f}/s  "
        f"p50 {row['p50_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms"
    )


def closing_line(figures: dict[str, object]) -> None:
    """The last line of every benchmark: one JSON object scripts can read."""
    print(json.dumps(figures, sort_keys=True))
