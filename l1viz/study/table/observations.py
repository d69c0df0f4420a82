"""The notebook's table of observations, as data: the only place these 17 cases are written down.

The notebook's author trained the cell from initialisations of chosen signs and noted what happened:
5 cases without bias, then 12 with bias. Each case here keeps the notebook's section and number, the
sign of each initial parameter, the outcome the author reported and the author's remark (the sign of
the sum of the initial parameters, noted for some cases). Without bias the biases are absent (0).
"""

from __future__ import annotations

from dataclasses import dataclass

POSITIVE = "positive"
NEGATIVE = "negative"
SMALL_POSITIVE = "very small positive"
SMALL_NEGATIVE = "very small negative"
SIGNS = (POSITIVE, NEGATIVE, SMALL_POSITIVE, SMALL_NEGATIVE)

CONVERGES = "converges"
CONVERGES_SLOWLY = "converges, but after many iterations"
CONVERGES_FAST = "converges very fast"
DOES_NOT_CONVERGE = "does not converge"
DOCUMENTED_OUTCOMES = (CONVERGES, CONVERGES_SLOWLY, CONVERGES_FAST, DOES_NOT_CONVERGE)

SUM_NEGATIVE = "sum of coefficients is negative"
SUM_POSITIVE = "sum of coefficients is positive"


@dataclass(frozen=True)
class Observation:
    """One row of the notebook's table. `signs` maps each parameter present to its sign."""

    id: str
    number: int
    bias: bool
    signs: dict
    documented: str
    remark: str = ""

    @property
    def label(self) -> str:
        section = "bias" if self.bias else "no bias"
        return f"{section} {self.number}"


_P, _N, _SP, _SN = POSITIVE, NEGATIVE, SMALL_POSITIVE, SMALL_NEGATIVE


def _no_bias(number: int, w_hh: str, w_ih: str, documented: str) -> Observation:
    return Observation(f"no-bias-{number}", number, False, {"w_hh": w_hh, "w_ih": w_ih}, documented)


def _bias(number, w_hh, w_ih, b_hh, b_ih, documented, remark="") -> Observation:
    signs = {"w_hh": w_hh, "w_ih": w_ih, "b_hh": b_hh, "b_ih": b_ih}
    return Observation(f"bias-{number}", number, True, signs, documented, remark)


OBSERVATIONS: tuple[Observation, ...] = (
    _no_bias(1, _P, _P, CONVERGES),
    _no_bias(2, _P, _N, DOES_NOT_CONVERGE),
    _no_bias(3, _N, _P, DOES_NOT_CONVERGE),
    _no_bias(4, _SN, _P, CONVERGES),
    _no_bias(5, _N, _N, DOES_NOT_CONVERGE),
    _bias(1, _N, _P, _P, _P, CONVERGES_SLOWLY),
    _bias(2, _N, _P, _P, _N, CONVERGES, SUM_NEGATIVE),
    _bias(3, _N, _P, _N, _N, CONVERGES, SUM_NEGATIVE),
    _bias(4, _P, _SP, _P, _N, CONVERGES),
    _bias(5, _P, _SP, _N, _P, CONVERGES_FAST, SUM_POSITIVE),
    _bias(6, _P, _SP, _N, _N, CONVERGES, SUM_POSITIVE),
    _bias(7, _P, _N, _P, _N, CONVERGES),
    _bias(8, _P, _N, _N, _P, DOES_NOT_CONVERGE, SUM_NEGATIVE),
    _bias(9, _P, _N, _P, _P, CONVERGES, SUM_POSITIVE),
    _bias(10, _N, _SN, _N, _N, DOES_NOT_CONVERGE),
    _bias(11, _N, _SN, _P, _N, CONVERGES),
    _bias(12, _N, _N, _P, _P, CONVERGES, SUM_NEGATIVE),
)

BY_ID = {case.id: case for case in OBSERVATIONS}
