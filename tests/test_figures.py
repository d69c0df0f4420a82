"""The figure builders and the loss landscape: exact data in, exact data on the chart."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch
from PIL import Image
from plotly.colors import sample_colorscale

from l1viz.engine.cell import Cell
from l1viz.engine.outcomes import Ending, in_dead_region
from l1viz.live.run_log import MAX_RUNS
from l1viz.plots import palette, plane, time_charts
from l1viz.plots.time_charts import Span
from l1viz.study.landscape import evaluation_batch, expected_loss, resolution, view_range


def values(array) -> list:
    """A trace's data as plain floats (plotly keeps numpy arrays as they were given)."""
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
        for v in np.asarray(array, dtype=float)
    ]


def trace(figure: go.Figure, name: str):
    return next(t for t in figure.data if t.name == name)


def bound(figure: go.Figure) -> dict[str, str]:
    """Each bound trace of a live template: its name -> the row column it draws."""
    return {t.name: t.meta["y"] for t in figure.data if t.meta and "y" in t.meta}


def test_live_templates_bind_their_traces_to_the_rows_and_hold_no_data():
    """The browser fills the live charts from the run's rows: the templates say which column
    each trace draws and how its axes range, and carry no data of their own."""
    loss = time_charts.loss_template()
    assert bound(loss) == {"batch loss": "loss"}
    assert loss.data[0].meta["log"] is True and loss.layout.yaxis.type == "log"
    assert loss.layout.meta == {"y_include": [], "log_y": True}
    plain = time_charts.parameters_template(learned=False, bias=False)
    assert bound(plain) == {"w_hh": "w_hh", "w_ih": "w_ih"}
    assert [(shape.y0, shape.name) for shape in plain.layout.shapes] == [(1.0, "target w = 1")]
    (words,) = plain.layout.annotations  # beside the plot, where no curve crosses them
    assert (words.text, words.xref, words.x, words.xanchor) == ("w = 1", "paper", 1, "left")
    biased = time_charts.parameters_template(learned=False, bias=True)
    assert list(bound(biased).values()) == ["w_hh", "w_ih", "b_hh", "b_ih", "b"]
    assert biased.layout.meta["y_include"] == [1.0, 0.0]
    learned = time_charts.parameters_template(learned=True, bias=False)
    assert list(bound(learned)) == ["w_hh", "w_ih·s₊ (x > 0)", "w_ih·s₋ (x < 0)"]
    active = time_charts.active_template()
    assert bound(active) == {"active": "active"}
    assert list(active.layout.yaxis.range) == [-0.02, 1.05]
    for figure in (loss, plain, biased, learned, active):
        assert all(len(t.x) == 0 for t in figure.data if t.meta and "y" in t.meta)
        assert (
            figure.layout.template.layout.paper_bgcolor
            == pio.templates["plotly_white"].layout.paper_bgcolor
        )


def test_span_words_name_the_ending_and_its_step():
    assert time_charts.span_words(Span(Ending.DIED, 12, 111)) == "dead from step 12"
    assert time_charts.span_words(Span(Ending.DEAD_IN_PRACTICE, 0, 99)) == "silent from step 0"
    assert time_charts.span_words(Span(Ending.DIVERGED, 3, 3)) == "diverged from step 3"


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


def test_landscape_template_and_levels():
    """The plane: the solution and a colour bar over fixed axes; each level of the biases adds
    its surface as an image, its dead region and its arrows."""
    grid = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    figure = plane.landscape_template(grid, "no bias")
    assert [t.name for t in figure.data[1:]] == ["solution (1, 1)"]
    assert figure.data[0].showlegend is False  # the colour bar's carrier has no legend entry
    assert list(figure.layout.xaxis.range) == [-2, 2] and figure.layout.xaxis.autorange is False
    assert figure.layout.meta["path_color"] == palette.PATH
    level = plane.landscape_level(grid, "no bias")
    assert level["image"]["source"] == plane.surface_image(grid)
    assert [t["name"] for t in level["traces"]] == ["dead region", "−gradient (direction)"]
    dead = expected_loss("where", True, -3.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    assert [t["name"] for t in plane.landscape_level(dead, "")["traces"]][0] == "dead region"


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


def test_png_decodes_to_the_same_pixels():
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(7, 13, 3), dtype=np.uint8)
    for given in (pixels, pixels[::-1], pixels[:, ::2]):  # views with any strides too
        data = plane._png(given)
        decoded = np.asarray(Image.open(io.BytesIO(data)))
        assert decoded.shape == given.shape and (decoded == given).all()
