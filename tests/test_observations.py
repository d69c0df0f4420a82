"""The notebook's table as data: 17 cases, in order, with the notebook's signs and outcomes."""

import re
from pathlib import Path

import pytest

from l1viz.study.observations import (
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

NOTEBOOK = Path("/work/shared/seed/000_1b1412b19173767f.txt")

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


@pytest.mark.parametrize("case,expected", zip(OBSERVATIONS, EXPECTED), ids=lambda v: str(v)[:12])
def test_signs_outcome_and_remark_match_the_transcription(case, expected):
    _, signs, documented, remark = expected
    names = ("w_hh", "w_ih", "b_hh", "b_ih")[: len(signs.split())]
    assert case.signs == {name: SYMBOL[s] for name, s in zip(names, signs.split())}
    assert case.documented == documented
    assert case.remark == remark
    assert list(case.signs) == ["w_hh", "w_ih", "b_hh", "b_ih"][: 4 if case.bias else 2]
    assert set(case.signs.values()) <= set(SIGNS) and case.documented in DOCUMENTED_OUTCOMES


def _notebook_observations() -> list[str]:
    text = NOTEBOOK.read_text()
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


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="the notebook export is not on this machine")
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
