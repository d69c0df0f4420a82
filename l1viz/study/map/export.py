"""The outcome map as a CSV table: one row per grid cell, its indices, every setting, how its run
ended and, with several seeds, the share of each ending. The CLI's `sweep --csv` and the map
page's download write the same text."""

from __future__ import annotations

import csv
import io

from l1viz.engine.outcomes import Ending
from l1viz.study.map.sweep import ALL_AXES, AXES, SweepResult

MEASURED = ("dead_at_init", "steps", "decided_at", "converged_at", "loss")


def sweep_csv(sweep: SweepResult) -> str:
    """The CSV text; a cell still training has an empty ending."""
    shares = [f"share_{ending.value}" for ending in Ending] if sweep.settings.seeds > 1 else []
    axes = ALL_AXES if sweep.settings.sloped else AXES  # the slope only where there is one
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", *axes, "ending", *MEASURED, *shares])
    for row, endings in enumerate(sweep.ending):
        for column, ending in enumerate(endings):
            point = sweep.cell_point(row, column)
            values = [point.get(name, 0.0) for name in axes]
            measured = [getattr(sweep, name)[row][column] for name in MEASURED]
            fractions = [sweep.fractions[e][row][column] for e in Ending] if shares else []
            label = "" if ending is None else ending.value
            writer.writerow([row, column, *values, label, *measured, *fractions])
    return out.getvalue()
