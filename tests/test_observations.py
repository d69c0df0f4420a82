"""The notebook's table as data: 17 cases, in order, with the notebook's signs and outcomes."""

import os
import re
from pathlib import Path

import pytest

from l1viz.engine.config import PARAMETERS, cell_parameters
from l1viz.study.table.observations import (
    BY_ID,
    CONVERGES,
    CONVERGES_FAST,
    CONVERGES_SLOWLY,
    DOCUMENTED_OUTCOMES,
    DOES_NOT_CONVERGE,
    OBSERVATIONS,
    SIGNS,
    SUM_NEGATIVE,
    SUM_POSITIVE,
)
from l1viz.study.table.regions import place

NOTEBOOK_FILE = "000_1b1412b19173767f.txt"


def notebook_export() -> Path:
    """The notebook's text export: $L1VIZ_NOTEBOOK, else shared/seed/ beside the checkout or in
    this workplace's /work. The project's observations are checked against it, so it must be
    found: a missing export fails the test rather than skipping it."""
    candidates = [os.environ.get("L1VIZ_NOTEBOOK", "")]
    candidates += [str(Path(__file__).resolve().parents[2] / "shared" / "seed" / NOTEBOOK_FILE)]
    candidates += [f"/work/shared/seed/{NOTEBOOK_FILE}"]
    for candidate in filter(None, candidates):
        if Path(candidate).is_file():
            return Path(candidate)
    pytest.fail(f"the notebook export {NOTEBOOK_FILE} was not found; set L1VIZ_NOTEBOOK to it")


# Transcribed from the notebook by hand: signs of w_hh w_ih [b_hh b_ih] (s = very small), outcome.
EXPECTED = [
    ("no-bias-1", "+ +", CONVERGES, ""),
    ("no-bias-2", "+ -", DOES_NOT_CONVERGE, ""),
    ("no-bias-3", "- +", DOES_NOT_CONVERGE, ""),
    ("no-bias-4", "s- +", CONVERGES, ""),
    ("no-bias-5", "- -", DOES_NOT_CONVERGE, ""),
    ("bias-1", "- + + +", CONVERGES_SLOWLY, ""),
    ("bias-2", "- + + -", CONVERGES, SUM_NEGATIVE),
    ("bias-3", "- + - -", CONVERGES, SUM_NEGATIVE),
    ("bias-4", "+ s+ + -", CONVERGES, ""),
    ("bias-5", "+ s+ - +", CONVERGES_FAST, SUM_POSITIVE),
    ("bias-6", "+ s+ - -", CONVERGES, SUM_POSITIVE),
    ("bias-7", "+ - + -", CONVERGES, ""),
    ("bias-8", "+ - - +", DOES_NOT_CONVERGE, SUM_NEGATIVE),
    ("bias-9", "+ - + +", CONVERGES, SUM_POSITIVE),
    ("bias-10", "- s- - -", DOES_NOT_CONVERGE, ""),
    ("bias-11", "- s- + -", CONVERGES, ""),
    ("bias-12", "- - + +", CONVERGES, SUM_NEGATIVE),
]
SYMBOL = {
    "+": "positive",
    "-": "negative",
    "s+": "very small positive",
    "s-": "very small negative",
}


def test_seventeen_cases_in_the_notebooks_order():
    assert len(OBSERVATIONS) == 17
    assert [case.id for case in OBSERVATIONS] == [row[0] for row in EXPECTED]
    assert [case.number for case in OBSERVATIONS] == list(range(1, 6)) + list(range(1, 13))
    assert [case.bias for case in OBSERVATIONS] == [False] * 5 + [True] * 12


@pytest.mark.parametrize(
    "case,expected", list(zip(OBSERVATIONS, EXPECTED)), ids=lambda v: str(v)[:12]
)
def test_signs_outcome_and_remark_match_the_transcription(case, expected):
    _, signs, documented, remark = expected
    names = PARAMETERS[: len(signs.split())]
    assert case.signs == {name: SYMBOL[s] for name, s in zip(names, signs.split())}
    assert case.documented == documented
    assert case.remark == remark
    assert tuple(case.signs) == cell_parameters(case.bias)
    assert set(case.signs.values()) <= set(SIGNS) and case.documented in DOCUMENTED_OUTCOMES


def _notebook_observations() -> list[str]:
    text = notebook_export().read_text()
    section = text[text.index("## Observations") : text.index("# Conclusion")]
    return [line.strip() for line in section.splitlines() if re.match(r"\s*\d+\. ", line)]


def _outcome(words: str) -> str:
    if "not converging" in words:
        return DOES_NOT_CONVERGE
    if "after a lot of iterations" in words:
        return CONVERGES_SLOWLY
    if "very fast" in words:
        return CONVERGES_FAST
    assert "converg" in words
    return CONVERGES


def _sign(word: str, small: bool) -> str:
    return f"very small {word}" if small else word


def test_every_case_agrees_with_the_notebook_text():
    lines = _notebook_observations()
    assert len(lines) == 17
    for case, line in zip(OBSERVATIONS, lines):
        assert line.startswith(f"{case.number}. ")
        if case.bias:
            found = re.match(
                r"\d+\. wh (\w+), wih (\w+)( \(very small\))?, bhh (\w+), bih (\w+) - (.*)", line
            )
            w_hh, w_ih, small, b_hh, b_ih, rest = found.groups()
            signs = {"w_hh": w_hh, "w_ih": _sign(w_ih, bool(small)), "b_hh": b_hh, "b_ih": b_ih}
        elif found := re.match(r"\d+\. both weights (?:are )?(\w+)", line):
            signs = {"w_hh": found.group(1), "w_ih": found.group(1)}
            rest = line
        else:
            found = re.match(r"\d+\. hh (\w+)( but very small)?, ih (\w+) - (.*)", line)
            w_hh, small, w_ih, rest = found.groups()
            signs = {"w_hh": _sign(w_hh, bool(small)), "w_ih": w_ih}
        assert case.signs == signs, line
        assert case.documented == _outcome(rest), line
        sum_sign = re.search(r"sum of coeff\w* is (\w+)", rest)
        assert case.remark == (f"sum of coefficients is {sum_sign.group(1)}" if sum_sign else "")


# -- placing an init among the cases ------------------------------------------------------------
@pytest.mark.parametrize(
    "values,bias,case_id",
    [
        ({"w_hh": 0.83, "w_ih": 0.7645}, False, "no-bias-1"),
        ({"w_hh": -0.5, "w_ih": 0.5}, False, "no-bias-3"),
        ({"w_hh": -0.05, "w_ih": 0.5}, False, "no-bias-4"),
        ({"w_hh": 0.5, "w_ih": 0.05, "b_hh": -0.5, "b_ih": -0.5}, True, "bias-6"),
        ({"w_hh": 0.5, "w_ih": -0.5, "b_hh": -0.3, "b_ih": 0.2}, True, "bias-8"),
    ],
)
def test_an_init_inside_a_region_is_placed_in_that_case(values, bias, case_id):
    placement = place(values, bias)
    assert placement.case is BY_ID[case_id] and placement.nearest is BY_ID[case_id]
    assert placement.outside == ()


def test_an_init_in_no_region_names_the_nearest_case_and_why():
    beyond = place({"w_hh": 0.83, "w_ih": 1.5}, False)
    assert beyond.case is None and beyond.nearest is BY_ID["no-bias-1"]
    assert beyond.outside == ("w_ih = 1.5 is outside 0.1 ≤ w_ih ≤ 1",)
    zero = place({"w_hh": 0.5, "w_ih": 0.0}, False)
    assert zero.case is None and zero.outside == ("w_ih is 0, which has no sign",)
    small = place({"w_hh": 0.05, "w_ih": 0.5}, False)  # positive but smaller than "normal"
    assert small.nearest is BY_ID["no-bias-1"]  # the same signs first, then the distance
    biased = place({"w_hh": 0.5, "w_ih": 0.5, "b_hh": 0.0, "b_ih": 0.0}, True)
    assert biased.case is None and "b_hh is 0, which has no sign" in biased.outside
