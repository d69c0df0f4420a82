"""The pages' results as files: JSON exactly as the CLI's --json prints it, and CSV with one row
per table case or per scheme measurement (the map's CSV is the CLI's --csv, `study.sweep`)."""

from __future__ import annotations

import csv
import io

from l1viz.engine.jsontext import dumps
from l1viz.engine.outcomes import Ending
from l1viz.study.schemes import SchemeResult
from l1viz.study.table import RemedyMeasurement, TableResult


def json_text(payload: dict) -> str:
    """The CLI's --json text of a result's `to_json()` (a non-finite number becomes null)."""
    return dumps(payload)


def _csv(columns: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue()


# With a remedy activation, the same samples under it (`RemedyMeasurement`), after ReLU's columns.
REMEDY_COLUMNS = (
    ["remedy_activation", "remedy_slope"]
    + [f"remedy_share_{ending.value}" for ending in Ending]
    + ["remedy_revived", "remedy_median_steps", "remedy_median_revived_at"]
)


def _remedy_values(remedy: RemedyMeasurement | None) -> list:
    if remedy is None:
        return [None] * len(REMEDY_COLUMNS)
    return (
        [remedy.activation, remedy.slope]
        + [remedy.share(ending) for ending in Ending]
        + [remedy.revived, remedy.median_steps, remedy.median_revived_at]
    )


def table_csv(table: TableResult) -> str:
    """One row per notebook case: its claim, the measured share of each ending, the verdict; with
    a remedy activation, how the same samples did under it."""
    shares = [f"share_{ending.value}" for ending in Ending]
    columns = ["number", "id", "bias", "signs", "documented", "verdict", *shares]
    columns += ["median_steps", "dead_rule_share", "explanation"]
    remedy = table.settings.remedy
    columns += REMEDY_COLUMNS if remedy else []
    rows = []
    for row in table.cases:
        case, measured = row.case, row.measured
        signs = " ".join(f"{name}{sign}" for name, sign in case.signs.items())
        values = [measured.share(e) for e in Ending] if measured else [None] * len(Ending)
        extra = [measured.median_steps, measured.analytic_dead] if measured else [None, None]
        rows.append(
            [case.number, case.id, case.bias, signs, case.documented, row.agreement, *values]
            + [*extra, row.explanation]
            + (_remedy_values(row.remedy) if remedy else [])
        )
    return _csv(columns, rows)


def schemes_csv(result: SchemeResult) -> str:
    """One row per scheme, bias setting and length: each ending's share with its 95 % interval."""
    columns = ["scheme", "bias", "max_length", "samples", "dead_at_init_exact"]
    for ending in Ending:
        columns += [f"share_{ending.value}", f"low_{ending.value}", f"high_{ending.value}"]
    columns.append("median_steps")
    rows = []
    for row in result.rows:
        shares = []
        for ending in Ending:
            share = row.measured.get(ending) if row.measured else None
            shares += [share.value, share.low, share.high] if share else [None] * 3
        rows.append(
            [row.scheme, row.bias, row.max_length, row.samples, row.dead_at_init, *shares]
            + [row.median_steps]
        )
    return _csv(columns, rows)
