"""Benchmark figures as median, min and max over runs, and the table that prints them."""

from __future__ import annotations

from collections.abc import Sequence

Row = tuple[str, str]
"""(label, key of the figure in each run's results)."""


def summarise(results: list[dict[str, float]], rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    out = {}
    for _, key in rows:
        values = sorted(r[key] for r in results)
        out[key] = {"median": values[len(values) // 2], "min": values[0], "max": values[-1]}
    return out


def table(summary: dict[str, dict[str, float]], rows: Sequence[Row]) -> list[str]:
    return [
        "                               median       min       max",
        *(
            f"{name:<28} {summary[key]['median']:>9.1f} {summary[key]['min']:>9.1f}"
            f" {summary[key]['max']:>9.1f}"
            for name, key in rows
        ),
    ]
