"""The live page's case panel: the case an init falls in, the notebook's claim, the region's
measurement, this run's agreement, and the dead-ReLU marking."""

import pytest

from l1viz.engine.long_sequence import LongSequenceCheck
from l1viz.engine.trainer import Trainer
from l1viz.live.case_panel import case_panel
from l1viz.live.settings import Settings
from l1viz.study.long_sequence_note import long_sequence_note
from l1viz.study.table import TableSettings, documented_rows, measure_table


@pytest.fixture(scope="module")
def table():
    return measure_table(TableSettings(samples=4, steps=300, recheck=False))


def finished(settings: Settings):
    return Trainer(settings.init(), settings.config()).run()[0]


def test_no_bias_3_before_and_after_play(table):
    settings = Settings(w_hh=-0.5, w_ih=0.5)
    before = case_panel(settings, table, None)
    assert before.inside and before.heading == "no bias 3: w_hh −, w_ih +"
    assert before.claim == "does not converge"
    assert before.measured.startswith("Measured over 4 inits of this region: ")
    assert before.agreement == table.row("no-bias-3").agreement
    assert before.run_agrees is None and before.run_sentence == "" and before.firing == ""
    after = case_panel(settings, table, finished(settings))
    assert after.run_agrees is False
    assert after.run_sentence.startswith("It converged at step ")
    assert "but the notebook saw this case not converge" in after.run_sentence


def test_no_bias_2_is_marked_dead_and_agrees(table):
    settings = Settings(w_hh=0.5, w_ih=-0.5)
    panel = case_panel(settings, table, finished(settings))
    assert panel.case.id == "no-bias-2"
    assert panel.firing == (
        "This init can never fire (w_ih ≤ 0, no bias): the cell is dead from the start."
    )
    assert panel.run_agrees is True
    assert panel.run_sentence.startswith("It was dead from the start, as the notebook saw")


def test_bias_6_fires_only_for_huge_inputs(table):
    settings = Settings(w_hh=0.5, w_ih=0.05, b_hh=-0.5, b_ih=-0.5, bias=True)
    panel = case_panel(settings, table, finished(settings))
    assert (
        panel.case.id == "bias-6" and panel.claim == "converges (sum of coefficients is positive)"
    )
    assert panel.firing.startswith("With w_ih > 0 > b_hh + b_ih this init fires only for |x| > 20")
    assert panel.run_agrees is False and "never fired (dead in practice)" in panel.run_sentence


def test_an_init_in_no_case_names_the_nearest_one(table):
    panel = case_panel(Settings(w_hh=0.83, w_ih=1.5), table, None)
    assert not panel.inside and panel.case.id == "no-bias-1"
    assert panel.heading == "in no case of the notebook (nearest: no bias 1)"
    assert panel.outside == ("w_ih = 1.5 is outside 0.1 ≤ w_ih ≤ 1",)
    assert panel.run_agrees is None


def test_before_the_table_is_measured_the_panel_says_so():
    panel = case_panel(Settings(), documented_rows(TableSettings()), None)
    assert (
        panel.case.id == "no-bias-1"
        and panel.measured == "Measuring the region at the table's settings…"
    )
    assert panel.agreement is None


def test_a_converged_cell_off_at_length_10000_is_explained():
    tolerance = {"w_hh": 1.0001801252365112, "w_ih": 0.9990010857582092, "b": 0.0}
    note = long_sequence_note(tolerance, LongSequenceCheck(10_000, 21_942.0, 7_967.4))
    assert note.startswith("At length 10,000 the output is 175% off: w_hh = 1.00018 weighs")
    assert "the oldest input of 10,000 counts 6.06×" in note
    exact = {"w_hh": 1.0, "w_ih": 1.0, "b": 0.0}
    assert long_sequence_note(exact, LongSequenceCheck(10_000, 7_967.38, 7_967.381)) == ""
    biased = {"w_hh": 1.0, "w_ih": 1.0, "b": 0.01}
    note = long_sequence_note(biased, LongSequenceCheck(10_000, 8_067.0, 7_967.0))
    assert "b_hh + b_ih = 0.01 adds about 100 over 10,000 inputs" in note
