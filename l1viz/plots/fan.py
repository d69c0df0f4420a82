"""One init over many data seeds: a thin line per run, coloured by how it ended, on the loss and
the parameters; the run being watched on top in black."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from l1viz.plots.palette import ENDINGS, WATCHED
from l1viz.plots.time_charts import positive_array
from l1viz.study.seed_fan import SeedFan, fan_parameters

HEIGHT = 420


def fan_figure(fan: SeedFan, watched_seed: int | None = None) -> go.Figure:
    names = fan_parameters(fan.config.bias)
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("loss (each seed's batches)", "parameters: " + ", ".join(names)),
        horizontal_spacing=0.08,
    )
    shown = set()
    for run in sorted(fan.runs, key=lambda r: r.seed == watched_seed):
        watched = run.seed == watched_seed
        shade = ENDINGS[run.result.ending]
        color = WATCHED if watched else shade.hex
        legend = not watched and shade.label not in shown
        shown.add(shade.label)
        common = {
            "mode": "lines",
            "legendgroup": shade.label,
            "line": {"color": color, "width": 2.2 if watched else 0.8},
            "opacity": 1.0 if watched else 0.6,
        }
        figure.add_trace(
            go.Scatter(
                x=run.steps,
                y=positive_array(run.series["loss"]),
                name="the watched run" if watched else shade.label,
                showlegend=legend or watched,
                hovertemplate=f"seed {run.seed}: {shade.label}<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        for name in names:
            figure.add_trace(
                go.Scatter(
                    x=run.steps,
                    y=run.series[name],
                    showlegend=False,
                    hovertemplate=f"seed {run.seed}, {name}: %{{y:.4f}}<extra></extra>",
                    **common,
                ),
                row=1,
                col=2,
            )
    figure.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    figure.update_xaxes(title="step")
    figure.update_layout(
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return figure
