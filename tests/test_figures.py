"""The figure builders and the loss landscape: exact data in, exact data on the chart."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image
from plotly.colors import sample_colorscale

from l1viz.engine.cell import Cell
from l1viz.engine.outcomes import Ending, in_dead_region
from l1viz.live.run import LiveRun, Span
from l1viz.live.run_log import MAX_RUNS
from l1viz.live.settings import Settings
from l1viz.plots import palette, plane, time_charts
from l1viz.study.landscape import evaluation_batch, expected_loss, resolution, view_range


def values(array) -> list:
    """A trace's data as plain floats (plotly keeps numpy arrays as they were given)."""
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
        for v in np.asarray(array, dtype=float)
    ]


def trace(figure: go.Figure, name: str):
    return next(t for t in figure.data if t.name == name)


SERIES = {
    "step": [0, 1, 2, 3],
    "loss": [4.0, 0.0, float("nan"), 0.5],
    "active": [1.0, 0.5, 0.0, 0.0],
    "w_hh": [0.8, 0.9, 1.0, 1.1],
    "w_ih": [0.7, 0.6, -0.1, float("inf")],
    "b_hh": [0.0, 0.1, 0.2, 0.3],
    "b_ih": [0.0, -0.1, -0.1, -0.1],
    "b": [0.0, 0.0, 0.1, 0.2],
}


def test_loss_chart_draws_the_batch_losses_on_a_log_axis_with_gaps():
    figure = time_charts.loss_figure(SERIES, revision=3)
    (line,) = figure.data
    assert values(line.x) == [0, 1, 2, 3]
    assert values(line.y) == [4.0, None, None, 0.5]  # 0 and NaN cannot sit on a log axis
    assert figure.layout.yaxis.type == "log" and figure.layout.uirevision == "3"


def test_dead_and_diverged_spans_are_shaded_and_labelled():
    figure = time_charts.loss_figure(SERIES, [Span(Ending.DIED, 1, 3)])
    (band,) = figure.layout.shapes
    assert (band.type, band.x0, band.x1) == ("rect", 1, 3)
    assert band.fillcolor == palette.ENDINGS[Ending.DIED].hex
    assert figure.layout.annotations[0].text == "dead from step 1"
    silent = time_charts.loss_figure(SERIES, [Span(Ending.DEAD_IN_PRACTICE, 0, 3)])
    assert silent.layout.shapes[0].fillcolor == palette.ENDINGS[Ending.DEAD_IN_PRACTICE].hex
    assert silent.layout.annotations[0].text == "silent from step 0"
    at_the_end = time_charts.active_figure(
        {"step": list(range(1001)), "active": [1.0] * 1001}, [Span(Ending.DIVERGED, 1000, 1000)]
    )
    band = at_the_end.layout.shapes[0]
    assert band.x1 == 1000 and band.x0 == pytest.approx(990)  # still visible: 1 % of the axis
    assert at_the_end.layout.annotations[0].text == "diverged from step 1000"
    at_step_0 = time_charts.loss_figure(
        {"step": [0], "loss": [float("inf")]}, [Span("diverged", 0, 0)]
    )
    band = at_step_0.layout.shapes[0]
    assert (band.x0, band.x1) == (0, 1)  # to the right: the axis never goes below step 0


def test_a_run_with_one_recorded_step_is_drawn_as_dots():
    one = {"step": [0], "w_hh": [2.0], "w_ih": [1.0], "loss": [float("inf")], "active": [1.0]}
    for figure in (time_charts.parameters_figure(one, bias=False), time_charts.active_figure(one)):
        assert {t.mode for t in figure.data} == {"markers"}
    assert time_charts.parameters_figure(SERIES, bias=False).data[0].mode == "lines"


def test_parameter_chart_traces_and_targets():
    plain = time_charts.parameters_figure(SERIES, bias=False)
    assert [t.name for t in plain.data] == ["w_hh", "w_ih"]
    assert values(trace(plain, "w_ih").y) == [0.7, 0.6, -0.1, None]
    assert [shape.y0 for shape in plain.layout.shapes] == [1]
    biased = time_charts.parameters_figure(SERIES, bias=True)
    assert [t.name for t in biased.data] == ["w_hh", "w_ih", "b_hh", "b_ih", "b_hh + b_ih"]
    assert values(trace(biased, "b_hh + b_ih").y) == SERIES["b"]
    assert [shape.y0 for shape in biased.layout.shapes] == [1, 0]
    learned = time_charts.parameters_figure(
        {**SERIES, "w_ih_pos": [1] * 4, "w_ih_neg": [2] * 4}, False
    )
    assert [t.name for t in learned.data] == ["w_hh", "w_ih·s₊ (x > 0)", "w_ih·s₋ (x < 0)"]


def test_active_chart_is_a_fraction():
    figure = time_charts.active_figure(SERIES)
    assert values(figure.data[0].y) == SERIES["active"]
    assert list(figure.layout.yaxis.range) == [-0.02, 1.05]


def test_generalisation_chart_and_overlay():
    figure = time_charts.generalisation_figure(
        [1, 10, 100], [1.0, 12.0, float("inf")], [1.0, 10.0, 80.0]
    )
    assert [t.name for t in figure.data] == ["true ‖x‖₁", "cell's output h_T", "relative error"]
    assert values(figure.data[1].y) == [1.0, 12.0, None]
    assert values(figure.data[2].y) == [None, pytest.approx(0.2), None]  # 0 has no log
    overlay = time_charts.overlay_figure([("run 1", [0, 1], [2.0, 1.0]), ("run 2", [0], [3.0])])
    assert [t.name for t in overlay.data] == ["run 1", "run 2"]
    assert values(overlay.data[1].y) == [3.0] and overlay.data[1].mode == "markers"


def test_overlaid_runs_each_have_their_own_line_and_short_ones_lie_on_top():
    curves = [(f"run {i}", list(range(100 - i)), [1.0] * (100 - i)) for i in range(MAX_RUNS - 1)]
    curves.append(("run 29", [0, 1, 2], [3.0, 2.0, 1.0]))
    curves[3] = ("run 3", list(range(500)), [1.0] * 500)
    figure = time_charts.overlay_figure(curves)
    styles = {(t.line.color, t.line.dash) for t in figure.data}
    assert len(styles) == len(curves)  # no two look alike
    lengths = [len(t.x) for t in figure.data]
    assert lengths == sorted(lengths, reverse=True)  # the last drawn (on top) are the shortest
    legend = sorted(figure.data, key=lambda t: t.legendrank)
    assert [t.name for t in legend] == [label for label, _, _ in curves]
    assert figure.data[-1].name == "run 29"


# -- the landscape -----------------------------------------------------------------------------
@pytest.mark.parametrize("bias,bias_sum", [(False, 0.0), (True, -0.3), (True, 0.25)])
def test_landscape_is_the_cells_loss_on_the_fixed_batch_and_marks_the_dead_region(bias, bias_sum):
    grid = expected_loss("where", bias, bias_sum, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    cells, batch_size = resolution((-2, 2), (-2, 2), 10)
    assert len(grid.w_hh) == len(grid.w_ih) == 4 * cells
    assert grid.w_hh[0] == pytest.approx(-2 + 0.5 / cells)  # centres half a cell in: 0 is an edge
    assert not np.any(np.isclose(grid.w_ih, 0.0))
    cell = Cell(bias, "where")
    batch = evaluation_batch(batch_size, 10, "where")
    for row, column in [(0, 0), (25, 29), (30, 30), (39, 12)]:
        params = torch.tensor([[grid.w_hh[column]], [grid.w_ih[row]]], dtype=torch.float32)
        if bias:
            params = torch.cat([params, torch.tensor([[bias_sum], [0.0]])])
        loss, _, grads = cell.loss_and_grads(params, batch)
        assert grid.loss[row, column] == loss.item()
        assert (grid.grad_hh[row, column], grid.grad_ih[row, column]) == tuple(
            grads[:2, 0].tolist()
        )
        assert grid.dead[row, column] == bool(in_dead_region(cell.effective(params))[0])
    expected_dead = (grid.w_ih[:, None] <= 0) & (bias_sum <= 0) & np.ones_like(grid.dead)
    assert np.array_equal(grid.dead, expected_dead)


def test_the_gradient_field_is_zero_where_the_cell_is_dead_and_points_to_the_valley():
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    dead = grid.w_ih <= 0
    assert (grid.grad_hh[dead] == 0).all() and (grid.grad_ih[dead] == 0).all()
    at_one = np.argmin(abs(grid.w_hh - 1))  # w_hh = 0.95: the valley is at w_ih ~ 1.3 there
    below, above = grid.w_ih < 0.9, grid.w_ih > 1.5
    assert (grid.grad_ih[below & ~dead, at_one] < 0).all()  # too small a w_ih: grow it
    assert (grid.grad_ih[above, at_one] > 0).all()


def test_landscape_valley_runs_through_the_solution():
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    near = grid.loss[np.argmin(abs(grid.w_ih - 1)), np.argmin(abs(grid.w_hh - 1))]
    assert near < 0.1 * np.median(grid.loss)


def test_long_sequences_get_a_coarser_grid_within_the_work_budget():
    assert resolution((-2, 2), (-2, 2), 10) == (10, 256)
    cells, batch = resolution((-2, 2), (-2, 2), 10_000)
    assert cells < 10 and batch >= 32
    grid = expected_loss("where", True, 0.0, (1.0, 1.0), 10_000, (-2, 2), (-2, 2))
    assert grid.loss.shape == (4 * cells, 4 * cells)
    assert np.isinf(grid.loss).any() or grid.loss.max() > 1e6  # w_hh = 2 over 10,000 steps


def test_view_range_follows_the_path_within_limits():
    assert view_range([0.5, 1.2]) == (-2, 2)
    assert view_range([0.5, 2.3, -3.1]) == (-4, 3)
    assert view_range([float("nan"), 1e9, float("inf")]) == (-2, 8)


def test_learned_landscape_uses_the_layers_slopes():
    grid = expected_loss("learned", False, 0.0, (1.0, -0.5), 10, (-2, 2), (-2, 2))
    assert not grid.dead.any()  # slopes of opposite signs: some input always fires the cell
    both_positive = expected_loss("learned", False, 0.0, (0.5, 2.0), 10, (-2, 2), (-2, 2))
    assert np.array_equal(both_positive.dead[:, 0], both_positive.w_ih <= 0)


def test_dead_outline_covers_exactly_the_dead_cells():
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    xs, ys = plane.dead_outline(grid)
    rectangles = [(xs[i : i + 5], ys[i : i + 5]) for i in range(0, len(xs), 6)]
    assert len(rectangles) == grid.dead.any(axis=1).sum() == 20
    assert min(min(r[1]) for r in rectangles) == pytest.approx(-2)
    assert max(max(r[1]) for r in rectangles) == pytest.approx(0)
    for x, _ in rectangles:
        assert (min(x), max(x)) == (pytest.approx(-2), pytest.approx(2))


def surface(run: LiveRun, series: dict):
    return expected_loss(
        *run.landscape_key(), view_range(series["w_hh"]), view_range(series["w_ih"])
    )


def test_landscape_chart_draws_the_path_start_and_now():
    run = LiveRun(Settings())
    run.step(500)
    series = run.series()
    grid = surface(run, series)
    figure = plane.landscape_figure(grid, series["w_hh"], series["w_ih"], "no bias", 1)
    names = [t.name for t in figure.data]
    assert names == [
        "expected loss",
        "contours",
        "−gradient (direction)",
        "dead region",
        "solution (1, 1)",
        "path",
        "start",
        "now",
    ]
    assert values(trace(figure, "path").x) == pytest.approx(series["w_hh"])
    assert values(trace(figure, "now").y) == pytest.approx([run.trainer.named_params()["w_ih"]])
    assert values(trace(figure, "start").x) == pytest.approx([Settings().w_hh])
    assert list(figure.layout.xaxis.range) == [-2, 2]


def _decoded(uri: str) -> np.ndarray:
    """The (h, w, 3) pixels of a PNG data URI, decoded by Pillow."""
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


def test_surface_image_has_one_pixel_per_cell_with_the_top_row_first():
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    pixels = _decoded(plane.surface_image(grid))
    height, width, _ = pixels.shape
    assert (width, height) == (len(grid.w_hh), len(grid.w_ih))
    z = plane.log_loss(grid)
    low = np.unravel_index(np.argmin(z), z.shape)
    pixel = pixels[height - 1 - low[0], low[1]]
    # The fixed scale: the colour of the lowest loss is where it sits between floor and cap.
    share = (z[low] - plane.LOG_LOSS_FLOOR) / (plane.LOG_LOSS_CAP - plane.LOG_LOSS_FLOOR)
    (expected,) = sample_colorscale(plane.COLORSCALE, [share])
    assert tuple(pixel) == tuple(int(c) for c in expected[4:-1].split(","))


def test_the_landscape_keeps_one_colour_scale_in_every_state():
    """A flat plane (a dead run's) is drawn on the same fixed scale, with its colour bar."""
    dead = expected_loss("where", True, -3.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    figure = plane.landscape_figure(dead, [0.5], [-0.5], "b_hh + b_ih = -3.00")
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax) == (plane.LOG_LOSS_FLOOR, plane.LOG_LOSS_CAP)
    assert heatmap.colorbar.title.text == "log₁₀ loss"
    assert any(t.name == "−gradient (direction)" for t in figure.data)


def test_png_decodes_to_the_same_pixels():
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(7, 13, 3), dtype=np.uint8)
    for given in (pixels, pixels[::-1], pixels[:, ::2]):  # views with any strides too
        data = plane._png(given)
        decoded = np.asarray(Image.open(io.BytesIO(data)))
        assert decoded.shape == given.shape and (decoded == given).all()


def test_replay_animates_the_run_over_fixed_axes():
    run = LiveRun(Settings())
    while not run.done:
        run.step(1_000)
    series = run.series()
    grid = surface(run, series)
    rows = plane.replay_rows(len(series["step"]))
    figure = plane.replay_figure(series, [(grid, "no bias")] * len(rows))
    assert len(figure.frames) == plane.REPLAY_FRAMES
    assert figure.frames[0].name == "0 · surface at no bias"
    assert figure.frames[-1].name == "9,783 · surface at no bias"
    last = figure.frames[-1].data
    assert values(last[2].x) == pytest.approx([series["w_hh"][-1]])  # "now" on the landscape
    assert values(last[3].x) == [9783]  # and on the loss curve
    # one surface for the whole run: the frames move the traces only, no layout redraw
    assert figure.layout.sliders[0].steps[0].args[1]["frame"]["redraw"] is False
    assert len(figure.layout.sliders[0].steps) == len(figure.frames)
    assert figure.layout.updatemenus[0].buttons[0].label == "▶ Play"
    assert figure.layout.images[0].source.startswith("data:image/png;base64,")
    assert list(figure.layout.xaxis.range) == list(grid.x_range)
    assert figure.layout.xaxis2.range[1] == 9783
    # contour and heatmap traces vanish from view in plotly animations
    assert not any(t.type in ("contour", "heatmap") for t in figure.data)


def test_replay_frames_show_the_landscape_at_their_own_biases():
    """A run loaded from "bias 7" starts on the plane of its initial biases, not its final ones."""
    run = LiveRun(Settings(w_hh=0.5, w_ih=-0.5, b_hh=0.5, b_ih=-0.2, bias=True))
    while not run.done:
        run.step(5_000)
    series = run.series()
    rows = plane.replay_rows(len(series["step"]))
    view = view_range(series["w_hh"]), view_range(series["w_ih"])
    surfaces = [
        (expected_loss("where", True, round(series["b"][row], 1), (1.0, 1.0), 10, *view), "")
        for row in rows
    ]
    figure = plane.replay_figure(series, surfaces)
    first, last = figure.frames[0].layout.images[0], figure.frames[-1].layout.images[0]
    assert first.source == plane.surface_image(surfaces[0][0])
    assert last.source == plane.surface_image(surfaces[-1][0]) != first.source
    assert figure.layout.images[0].source == first.source  # the figure opens on the first frame
    assert figure.layout.sliders[0].steps[0].args[1]["frame"]["redraw"] is True
