"""How a measured case is judged against the outcome the notebook documented.

Matching share m: for "does not converge" the share of samples that did not converge (dead from the
start, died, diverged or stalled at the budget: the notebook could not tell these apart); for every
"converges" kind the share that converged.

  agrees     m > 80 %
  partly     20 % <= m <= 80 %
  disagrees  m < 20 %

Speed, for "converges very fast" and "converges, but after many iterations": the case's median steps
to converge over the reference, the median over the converged samples of the other cases with the
same bias setting. Very fast means a ratio <= FAST_RATIO, many iterations >= SLOW_RATIO. When the
speed is not what was documented, a case that would agree is only "partly" right: it converges, but
not as described.
"""

from __future__ import annotations

from enum import StrEnum

from l1viz.study.table.observations import CONVERGES_FAST, CONVERGES_SLOWLY, DOES_NOT_CONVERGE


class Agreement(StrEnum):
    """How a measured case compares with what the notebook documented (the values are the words
    the table and its JSON show)."""

    AGREES = "agrees"
    PARTLY = "partly"
    DISAGREES = "disagrees"


AGREES, PARTLY, DISAGREES = Agreement.AGREES, Agreement.PARTLY, Agreement.DISAGREES
AGREE_ABOVE = 0.8
PARTLY_FROM = 0.2
FAST_RATIO = 0.8
SLOW_RATIO = 1.25
FAST, SLOW, TYPICAL = "fast", "slow", "typical"
DOCUMENTED_SPEED = {CONVERGES_FAST: FAST, CONVERGES_SLOWLY: SLOW}


def matching_share(documented: str, converged: float) -> float:
    """Share of samples whose outcome is the documented one (speed aside)."""
    return 1.0 - converged if documented == DOES_NOT_CONVERGE else converged


def speed(ratio: float | None) -> str | None:
    """fast, slow or typical from median steps / reference median; None when not measurable."""
    if ratio is None:
        return None
    if ratio <= FAST_RATIO:
        return FAST
    if ratio >= SLOW_RATIO:
        return SLOW
    return TYPICAL


def agreement_of(documented: str, converged: float, speed_ratio: float | None = None) -> Agreement:
    share = matching_share(documented, converged)
    if share > AGREE_ABOVE:
        result = AGREES
    elif share >= PARTLY_FROM:
        result = PARTLY
    else:
        result = DISAGREES
    wanted = DOCUMENTED_SPEED.get(documented)
    if wanted and result == AGREES and speed(speed_ratio) != wanted:
        return PARTLY
    return result
