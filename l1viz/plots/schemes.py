"""How initialisation schemes fare, against the maximum sequence length: the share of draws with a
chosen ending, with its 95 % interval, one line per scheme, one panel per bias setting; the exact
chance of a dead cell at init drawn as a dotted line beside the measured one."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from l1viz.engine.outcomes import Ending
from l1viz.plots.palette import ENDINGS, SERIES
from l1viz.study.schemes import SchemeResult

HEIGHT = 440


def schemes_figure(result: SchemeResult, ending: Ending = Ending.CONVERGED) -> go.Figure:
    biases = list(dict.fromkeys(row.bias for row in result.rows))
    titles = ["with bias" if bias else "without bias" for bias in biases]
    figure = make_subplots(rows=1, cols=len(biases), subplot_titles=titles, shared_yaxes=True)
    for column, bias in enumerate(biases, start=1):
        for index, scheme in enumerate(result.settings.schemes):
            rows = [r for r in result.rows if r.bias == bias and r.scheme == scheme]
            color = SERIES[index % len(SERIES)]
            first = column == 1
            figure.add_trace(measured_trace(rows, scheme, ending, color, first), row=1, col=column)
            if ending == Ending.DEAD_AT_INIT and rows:
                figure.add_trace(exact_dead_trace(rows, scheme, color), row=1, col=column)
    # Ticks at the lengths measured only: a log axis would also label its minor ticks (2, 3, … 9).
    lengths = sorted(result.settings.max_lengths)
    figure.update_xaxes(
        type="log",
        title="max sequence length",
        tickmode="array",
        tickvals=lengths,
        ticktext=[f"{length:,}" for length in lengths],
    )
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    figure.update_yaxes(title=f"share {ENDINGS[ending].label}", row=1, col=1)
    figure.update_layout(
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return figure


def measured_trace(rows, scheme: str, ending: Ending, color: str, legend: bool) -> go.Scatter:
    """One scheme's measured share of `ending` by length, with its confidence interval."""
    done = [r for r in rows if r.measured is not None]
    shares = [r.measured[ending] for r in done]
    return go.Scatter(
        x=[r.max_length for r in done],
        y=[share.value for share in shares],
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [share.high - share.value for share in shares],
            "arrayminus": [share.value - share.low for share in shares],
        },
        mode="lines+markers",
        name=scheme,
        legendgroup=scheme,
        showlegend=legend,
        line={"color": color},
        hovertemplate=f"{scheme}<br>length %{{x}}<br>%{{y:.1%}}<extra></extra>",
    )


def exact_dead_trace(rows, scheme: str, color: str) -> go.Scatter:
    """The share born dead computed exactly from the scheme's distribution, dotted."""
    return go.Scatter(
        x=[r.max_length for r in rows],
        y=[r.dead_at_init for r in rows],
        mode="lines",
        name=f"{scheme}: exact",
        legendgroup=scheme,
        showlegend=False,
        line={"color": color, "dash": "dot"},
        hovertemplate=f"{scheme} exact: %{{y:.1%}}<extra></extra>",
    )
