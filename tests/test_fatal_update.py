"""The update that pushed a run into the dead region, as the live page reports it."""

import time

from l1viz.live.run import LiveRun
from l1viz.live.settings import Settings
from l1viz.plots.time_charts import parameters_template
from l1viz.study.fatal_update import fatal_update

DYING = Settings(w_hh=0.5, w_ih=0.3, b_hh=-0.01, b_ih=0.0, bias=True, lr=0.3)


def finished(settings: Settings) -> tuple:
    """(how the run ended, its whole recorded history as lists)."""
    run = LiveRun(settings)
    run.want(settings.steps)
    deadline = time.monotonic() + 60
    while not run.done:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return run.final(), {name: column.tolist() for name, column in run.trajectory().items()}


def test_the_fatal_update_is_the_step_into_the_dead_region():
    result, history = finished(DYING)
    update = fatal_update(result, history)
    assert update is not None
    assert (update.before_step, update.after_step) == (result.died_at - 1, result.died_at)
    row = history["step"].index(result.died_at)
    assert update.after["w_ih"] == history["w_ih"][row]
    assert update.before["w_ih"] > 0 or update.before["b"] > 0  # it could still fire before
    assert update.after["w_ih"] <= 0 and update.after["b"] <= 0
    assert update.sentence.startswith(
        f"The update from step {result.died_at - 1:,} to {result.died_at:,} pushed the cell "
        "into the dead region: w_ih "
    )
    assert "b_hh + b_ih" in update.sentence


def test_no_fatal_update_for_a_run_dead_from_the_start_or_alive():
    dead = finished(Settings(w_hh=0.5, w_ih=-0.5))
    assert fatal_update(*dead) is None
    alive = finished(Settings(w_hh=0.9, w_ih=0.9, steps=200))
    assert fatal_update(*alive) is None


def test_the_parameters_chart_marks_the_fatal_update():
    result, history = finished(DYING)
    update = fatal_update(result, history)
    figure = parameters_template(learned=False, bias=True, fatal=update)
    (mark,) = [trace for trace in figure.data if trace.name == "the fatal update"]
    assert mark.meta["reveal_from"] == update.after_step  # shown once the playhead is there
    assert list(mark.x) == [update.before_step, update.after_step, None] * 2
    assert list(mark.y[:2]) == [update.before["w_ih"], update.after["w_ih"]]
    assert mark.text[0] == (
        f"fatal update, w_ih: {update.before['w_ih']:.4g} → {update.after['w_ih']:.4g}"
    )
