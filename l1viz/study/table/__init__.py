"""The notebook's table, measured: its 17 cases and their sign regions (`observations`,
`regions`), the training of every case over its region (`measure`, `case_measurement`), how each
case compares with what the notebook documented (`agreement`) and the sentences that say so
(`words`), and the same samples under another activation (`remedy`). The names below are what the
pages, the live view and the CLI use."""

from l1viz.study.table.case_measurement import CaseMeasurement
from l1viz.study.table.measure import (
    MAX_SAMPLES,
    CaseResult,
    TableResult,
    TableSettings,
    Typical,
    documented_rows,
    measure_table,
)
from l1viz.study.table.observations import DOES_NOT_CONVERGE, OBSERVATIONS, Observation
from l1viz.study.table.regions import Magnitudes, Placement, place
from l1viz.study.table.remedy import RemedyMeasurement, comparison, remedy_summary
from l1viz.study.table.words import measured_summary, percent, remark_text, signs_text

__all__ = [
    "DOES_NOT_CONVERGE",
    "MAX_SAMPLES",
    "OBSERVATIONS",
    "CaseMeasurement",
    "CaseResult",
    "Magnitudes",
    "Observation",
    "Placement",
    "RemedyMeasurement",
    "TableResult",
    "TableSettings",
    "Typical",
    "comparison",
    "documented_rows",
    "measure_table",
    "measured_summary",
    "percent",
    "place",
    "remark_text",
    "remedy_summary",
    "signs_text",
]
