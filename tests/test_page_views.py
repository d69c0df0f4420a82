"""The table, map and schemes pages' typed states <-> their URLs, the fields they are read with,
the case tags' colours and the pages' downloads."""

import csv
import io
import json

import pytest

from l1viz.engine.outcomes import Ending
from l1viz.live.downloads import json_text, schemes_csv, table_csv
from l1viz.live.fields import Number, Pair, Several, number_text, read_params
from l1viz.live.map_view import OutcomeMapView
from l1viz.live.schemes_view import SchemesView
from l1viz.live.table_view import TableView
from l1viz.plots.palette import CASE_TAGS, ENDINGS
from l1viz.study.map import SweepSettings, measure_sweep, sweep_csv
from l1viz.study.schemes import SchemeSettings, measure_schemes
from l1viz.study.table import TableSettings, measure_table

VIEWS = [TableView, OutcomeMapView, SchemesView]


@pytest.mark.parametrize("view", VIEWS)
def test_the_default_view_is_a_bare_url_and_reads_back_without_a_word(view):
    assert view().to_query() == {}
    assert view.from_params({}) == (view(), [])


EXAMPLES = [
    TableView(samples=8, steps=300, seed=7, normal=(0.2, 0.9), small=0.05, case="bias-8"),
    TableView(criterion="tolerance", recheck=False),
    TableView(activation="prelu", slope=0.125),
    TableView(activation="elu"),
    OutcomeMapView(
        x="lr",
        y="b_hh",
        x_range=(1e-5, 0.5),
        grid=24,
        steps=900,
        seeds=3,
        fixed=(("w_ih", 0.25), ("max_length", 20.0)),
        colour="share",
        ending="died",
        zoom=((1e-4, 1e-2, -0.5, 0.5), (1e-3, 5e-3, 0.0, 0.25)),
    ),
    OutcomeMapView(bias=True, y_range=(-0.5, 1.25)),
    OutcomeMapView(x="slope", x_range=(1e-3, 0.25), activation="prelu", grid=8),
    OutcomeMapView(activation="leaky_relu", slope=0.05, colour="steps"),
    SchemesView(schemes=("kaiming", "rai"), max_length=(3, 300), samples=9, bias="without"),
    SchemesView(ending="dead_at_init", seed=11, steps=777),
    SchemesView(activation="leaky_relu", slope=0.2, bias="with"),
    SchemesView(activation="tanh"),
]


@pytest.mark.parametrize("view", EXAMPLES, ids=lambda v: type(v).__name__)
def test_every_setting_survives_the_round_trip_through_the_url(view):
    query = view.to_query()
    assert all(isinstance(text, str) for text in query.values())
    assert type(view).from_params(query) == (view, [])


@pytest.mark.parametrize("view", VIEWS)
def test_the_activation_s_own_slope_has_one_address(view):
    written, warnings = view.from_params({"activation": "leaky_relu", "slope": "0.01"})
    assert warnings == [] and written == view(activation="leaky_relu")
    assert written.to_query() == {"activation": "leaky_relu"}
    assert view(activation="prelu", slope=0.25).to_query() == {"activation": "prelu"}
    assert view(activation="prelu", slope=0.01).to_query() == {
        "activation": "prelu",
        "slope": "0.01",
    }


@pytest.mark.parametrize(
    "view,params,named",
    [
        (TableView, {"case": "nonsense"}, "case = 'nonsense': must be one of the notebook's cases"),
        (TableView, {"samples": "0"}, "samples = '0': must be between 1 and 4,096"),
        (TableView, {"normal": "0.5,0.2"}, "normal = '0.5,0.2': needs low < high"),
        (TableView, {"small": "0.5"}, "small = '0.5': very small magnitudes must not exceed"),
        (OutcomeMapView, {"x": "garbage"}, "x = 'garbage': must be one of w_hh"),
        (OutcomeMapView, {"grid": "99999"}, "grid = '99999': must be between 2 and 256"),
        (OutcomeMapView, {"y": "w_hh"}, "y = 'w_hh': must differ from x"),
        (OutcomeMapView, {"fixed": "lr=100"}, "a learning rate must be within"),
        (OutcomeMapView, {"zoom": "1,2,3"}, "each box must be four numbers"),
        (OutcomeMapView, {"activation": "sigmoid"}, "must be one of relu, leaky_relu"),
        (OutcomeMapView, {"slope": "0.1"}, "only leaky_relu and prelu have a slope, not relu"),
        (SchemesView, {"schemes": "pytorch,bogus"}, "must be one of pytorch"),
        (SchemesView, {"max_length": "0"}, "max_length = '0': must be between 1 and 10,000"),
        (SchemesView, {"bias": "sometimes"}, "must be one of both, with, without"),
        (SchemesView, {"activation": "gelu"}, "must be one of relu, leaky_relu"),
        (SchemesView, {"slope": "0.3"}, "only leaky_relu and prelu have a slope, not relu"),
    ],
)
def test_a_bad_value_is_named_and_only_it_is_replaced_by_its_default(view, params, named):
    good = {"seed": "5"}
    read, warnings = view.from_params({**params, **good})
    (name,) = params
    assert len(warnings) == 1 and warnings[0].startswith(f"{name} = "), warnings
    assert named in warnings[0] and "Using the default" in warnings[0]
    assert read == view(seed=5)  # nothing else is lost


@pytest.mark.parametrize("view", VIEWS)
def test_unknown_and_repeated_names_are_named_too(view):
    read, warnings = view.from_params({"colour_me": "1", "seed": ["1", "2"]})
    assert read == view()
    assert warnings == [
        "Unknown URL parameter 'colour_me' was ignored.",
        "seed was given 2 times ('1', '2'). Using the default, 42.",
    ]


def test_a_zoomed_map_link_gives_the_whole_breadcrumb():
    view, _ = OutcomeMapView.from_params(
        {"grid": "16", "zoom": "-1,0,0,1;-0.5,0,0.5,1", "steps": "100"}
    )
    levels = view.levels()
    assert [(level.x_range, level.y_range) for level in levels] == [
        ((-1.5, 1.5), (-1.5, 1.5)),
        ((-1.0, 0.0), (0.0, 1.0)),
        ((-0.5, 0.0), (0.5, 1.0)),
    ]
    assert {level.grid for level in levels} == {16}
    assert view.at_level(1).zoom == view.zoom[:1]


def test_a_bias_named_off_the_axes_gives_the_cell_biases_as_in_the_cli():
    plain = OutcomeMapView().whole_map()
    assert not plain.bias and "b_hh" not in dict(plain.fixed)
    biased = OutcomeMapView(fixed=(("b_ih", 0.25),)).whole_map()
    assert biased.bias and dict(biased.fixed)["b_ih"] == 0.25 and dict(biased.fixed)["b_hh"] == 0.5


def test_fields_name_the_limit_in_words():
    assert number_text(4096) == "4,096" and number_text(1e6) == "1,000,000"
    assert number_text(1e-4) == "0.0001"
    assert Number(0, 1000, above=True).limit() == "above 0 and at most 1,000"
    assert Pair(Number(0, 1)).parse("0.25, 0.5") == (0.25, 0.5)
    assert Several(Number(1, 10, whole=True)).parse("3,10") == (3, 10)
    values, warnings = read_params({"n": Number(1, 9, whole=True)}, {"n": 3}, {"n": "2.5"})
    assert values == {} and warnings == ["n = '2.5': must be a whole number. Using the default, 3."]


def test_case_tags_have_colours_of_their_own():
    endings = {shade.hex for shade in ENDINGS.values()}
    tags = [shade.hex for shade in CASE_TAGS.values()]
    assert len(set(tags)) == 3 and not endings & set(tags)


def test_the_table_downloads_parse_and_the_json_is_the_clis():
    table = measure_table(TableSettings(samples=4, steps=200, recheck=False, seed=501))
    assert json.loads(json_text(table.to_json())) == json.loads(json.dumps(table.to_json()))
    rows = list(csv.DictReader(io.StringIO(table_csv(table))))
    assert len(rows) == 17 and rows[0]["id"] == "no-bias-1"
    for row, case in zip(rows, table.cases):
        shares = sum(float(row[f"share_{e.value}"]) for e in Ending)
        assert shares == pytest.approx(1.0) and row["verdict"] == (case.agreement or "")


def test_the_schemes_downloads_parse():
    result = measure_schemes(SchemeSettings(schemes=("pytorch",), samples=4, steps=100, seed=3))
    rows = list(csv.DictReader(io.StringIO(schemes_csv(result))))
    assert len(rows) == 2 and {row["bias"] for row in rows} == {"True", "False"}
    assert json.loads(json_text(result.to_json()))["schemes"][0]["name"] == "pytorch"


def test_the_map_csv_has_a_row_per_cell_with_its_ending():
    sweep = measure_sweep(SweepSettings(grid=4, steps=50))
    rows = list(csv.DictReader(io.StringIO(sweep_csv(sweep))))
    assert len(rows) == 16
    assert [row["ending"] for row in rows] == [e.value for line in sweep.ending for e in line]
