"""What the live view adds beyond one run: the seed fan, the gradient field and the raster."""

import numpy as np
import pytest
import torch

from l1viz.engine.cell import Cell
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.data import batch_at
from l1viz.engine.outcomes import Ending
from l1viz.engine.trainer import Trainer
from l1viz.plots.activity import activity_figure
from l1viz.plots.fan import fan_figure
from l1viz.plots.field import gradient_traces
from l1viz.study.activity import activity
from l1viz.study.landscape import expected_loss
from l1viz.study.seed_fan import seed_fan


def test_a_seed_fan_is_the_same_init_trained_alone_on_each_seed():
    init = Init(0.5, 0.5, 0.2, -0.25)
    config = TrainConfig(steps=3000, criterion="tolerance", seed=11)
    fan = seed_fan(init, config, seeds=4)
    assert [run.seed for run in fan.runs] == [11, 12, 13, 14]
    for run in fan.runs:
        alone = Trainer(init, TrainConfig(steps=3000, criterion="tolerance", seed=run.seed))
        assert run.result.ending == alone.run()[0].ending
        assert run.steps[0] == 0 and run.steps[-1] == run.result.steps
        assert set(run.series) == {"loss", "w_hh", "w_ih", "b"}
    assert sum(fan.split().values()) == pytest.approx(1.0)


def test_the_fan_draws_every_run_and_the_watched_one_on_top():
    fan = seed_fan(Init(0.9, 0.9), TrainConfig(bias=False, steps=500, seed=3), seeds=3)
    figure = fan_figure(fan, watched_seed=3)
    losses = [trace for trace in figure.data if trace.xaxis == "x"]
    assert len(losses) == 3 and losses[-1].name == "the watched run"
    assert len([trace for trace in figure.data if trace.xaxis == "x2"]) == 3 * 2


def test_gradient_arrows_skip_the_dead_half_and_point_down_the_slope():
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    (arrows,) = gradient_traces(grid, arrows=8)
    xs = np.array([np.nan if v is None else v for v in arrows.x], dtype=float)
    ys = np.array([np.nan if v is None else v for v in arrows.y], dtype=float)
    starts = ys[0::7]
    assert (starts > 0).all()  # w_ih <= 0 is dead: the gradient is 0 and no arrow is drawn
    tails, tips = ys[0::7], ys[1::7]
    column = np.isclose(xs[0::7], grid.w_hh[np.argmin(abs(grid.w_hh - 0.75))])
    below = column & (tails < 0.6)
    assert below.any() and (tips[below] > tails[below]).all()  # w_ih too small: grow it


def test_the_raster_of_a_step_uses_that_steps_batch():
    config = TrainConfig(bias=False, steps=200, seed=5)
    trainer = Trainer(Init(0.9, 0.8), config)
    trainer.step(50)
    params = trainer.params[:, :1].clone()
    batch = batch_at(config.seed, config.batch_size, config.max_length, 50)
    found = activity(Cell(False, "where"), params, batch)
    assert found.fired.shape == (32, batch.x.shape[0])
    loss, _, _ = Cell(False, "where").loss_and_grads(params, batch)
    assert found.loss == pytest.approx(loss.item(), rel=1e-6)
    figure = activity_figure(found, 50)
    assert "step 50" in figure.layout.title.text
    assert [trace.type for trace in figure.data] == ["heatmap", "heatmap"]
    assert torch.equal(batch.x, batch_at(5, 32, 10, 50).x)  # any step's batch, drawn alone
    assert Ending.CONVERGED  # the palette's keys are the endings
