"""Why a cell that "converged" can still miss the L1 norm of a long sequence, in one sentence.

With h_0 = 0 and every pre-activation positive, the cell's output after L inputs is
    h_L = sum_t w_hh^(L - t) (w_in |x_t| + b),
so against the true sum of |x_t| three things can go wrong, each growing with L: w_hh away from 1
weighs an input seen t steps before the end w_hh^t times (compounding), an input weight w_in away
from 1 scales every input, and a bias b adds about b·L. The note names the largest of the three
at the checked length, with its size.
"""

from __future__ import annotations

import math

from l1viz.engine.long_sequence import LongSequenceCheck

# A converged run this far off at the checked length gets the note.
NOTE_ABOVE = 0.01
MEAN_ABS_NORMAL = math.sqrt(2 / math.pi)  # E|x| for x ~ N(0, 1)


def long_sequence_note(values: dict, check: LongSequenceCheck) -> str:
    """'' when the cell is within NOTE_ABOVE at the checked length, else what drives the error.

    `values`: w_hh, the input weight(s) (w_ih, or w_ih_pos/w_ih_neg for a learned input) and the
    bias sum b (0 without bias)."""
    error = check.relative_error
    if check.finite and error <= NOTE_ABOVE:
        return ""
    length = check.length
    off = "not finite" if not check.finite else f"{error:.0%} off"
    w_hh = values["w_hh"]
    w_in = values.get("w_in", values.get("w_ih", 1.0))
    bias = values.get("b", 0.0)
    causes = {
        "compounding": abs(_compounding(w_hh, length) - 1),
        "input": abs(w_in - 1),
        "bias": abs(bias) / MEAN_ABS_NORMAL,
    }
    cause = max(causes, key=causes.get)
    head = f"At length {length:,} the output is {off}: "
    if cause == "compounding":
        weight = _compounding(w_hh, length)
        growth = "grows" if w_hh > 1 else "fades"
        return head + (
            f"w_hh = {w_hh:.6g} weighs an input seen t steps before the end w_hh^t times, so the "
            f"oldest input of {length:,} counts {weight:.3g}×: the sum {growth} with the length."
        )
    if cause == "input":
        return head + f"the input weight {w_in:.6g} scales every |x| by it."
    return head + (
        f"b_hh + b_ih = {bias:.3g} adds about {bias * length:.3g} over {length:,} inputs "
        f"(the true sum is about {MEAN_ABS_NORMAL * length:,.0f})."
    )


def _compounding(w_hh: float, length: int) -> float:
    """w_hh^length, capped so an overflow reads as a very large number."""
    if w_hh <= 0:
        return 0.0
    exponent = length * math.log(w_hh)
    return math.exp(min(exponent, 700.0))
