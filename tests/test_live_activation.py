"""The live page's activation (issue 20): the sidebar's activation and slope, the address, a run
that trains under it, and what the player, the tabs and the case panel say of it, through
Streamlit's AppTest."""

import json
import time
from dataclasses import replace
from urllib.parse import parse_qsl

import numpy as np
import pytest

from app_pages import studies
from app_pages.common import plain_markdown
from app_pages.live_parts.surface import run_surfaces
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.solutions import solution_check
from l1viz.engine.trainer import Trainer
from l1viz.live.case_panel import case_panel
from l1viz.live.jobs import DONE
from l1viz.live.links import live_settings
from l1viz.live.settings import Settings
from l1viz.live.table_view import TableView
from l1viz.study.table import TableSettings, documented_rows, measure_table, remedy_summary
from l1viz.study.vocabulary import cell_sentence
from tests.test_app import engine, open_app, open_tab, watched_to_end

# No bias and w_ih < 0: dead from the start under ReLU; leaky ReLU revives it.
DEAD_UNDER_RELU = {"w_ih": "-0.2", "bias": "false"}
MEASURED = (("relu", None), ("leaky_relu", 0.01))


@pytest.fixture(autouse=True)
def few_tables(monkeypatch):
    """The live page has the table measured under each activation and slope it shows, in full
    (tens of seconds each on two cores), and the process waits for them at exit: here only
    ReLU's and leaky ReLU α = 0.01's are measured; the others quote the default (ReLU) table."""
    quoted = studies.quoted_table

    def fewer(activation: str, slope: float | None):
        if (activation, slope) in MEASURED:
            return quoted(activation, slope)
        return studies.default_table()

    monkeypatch.setattr(studies, "quoted_table", fewer)


def test_relu_is_dead_and_leaky_relu_chosen_in_the_sidebar_converges_as_the_engine_does():
    at = open_app(**DEAD_UNDER_RELU)
    assert "live.slope" not in [box.key for box in at.text_input]  # ReLU has no slope
    assert watched_to_end(at)["ending"]["label"] == "dead from the start"
    at.selectbox(key="live.activation").select("leaky_relu").run()
    assert at.text_input(key="live.slope").value == "0.01"
    assert dict(at.query_params) == {"w_ih": "-0.2", "activation": "leaky_relu"}
    settings = Settings(w_ih=-0.2, activation="leaky_relu")
    assert at.session_state["live.run"].settings == settings
    data = watched_to_end(at)
    result, history = engine(settings)
    steps, columns = data["all"]
    assert steps.tolist() == history["step"]
    for name in ("loss", "w_hh", "w_ih", "active", "alpha"):
        assert columns[name].tobytes() == np.asarray(history[name], np.float32).tobytes(), name
    assert (result.converged_at, result.revived_from, result.revived_at) == (9025, 0, 234)
    ending = data["ending"]
    assert (ending["step"], ending["label"]) == (9025, "converged at step 9025")
    assert "fired again at step 234: below zero leaky ReLU passes α = 0.01" in ending["sentence"]
    assert data["ready"] == (
        "Under ReLU this initialisation would be in the dead region: w_ih = -0.2 ≤ 0 and no bias: "
        "the first pre-activation w_ih·|x₁| is ≤ 0 for every input, so h stays 0 and every "
        "gradient is 0. Under leaky ReLU α = 0.01 some gradient flows below 0, so a silent cell "
        "still learns."
    )
    agreement = ending["agreement"]
    assert agreement["label"] == "This run disagrees with the notebook's claim for ReLU"
    sentence = agreement["sentence"]  # the region's share follows once the table is measured
    assert sentence.startswith("It converged at step 9,025, but the notebook saw this case not")
    assert sentence.endswith("The notebook's claim is for ReLU; this run uses leaky ReLU α = 0.01.")


def test_a_typed_slope_and_prelu_from_the_address_reach_the_engine():
    at = open_app(activation="prelu", slope="0.125")
    assert at.selectbox(key="live.activation").value == "prelu"
    assert at.text_input(key="live.slope").value == "0.125"
    assert at.session_state["live.run"].config.slope == 0.125
    at.text_input(key="live.slope").input("0.5").run()
    assert at.session_state["live.run"].config.slope == 0.5
    assert dict(at.query_params) == {"activation": "prelu", "slope": "0.5"}
    at.text_input(key="live.slope").input("1.5").run()  # refused: named beside the box
    refused = "slope α below 0: '1.5' must be above 0 and at most 0.999; using 0.5."
    assert any(plain_markdown(refused) in caption.value for caption in at.caption)
    assert at.session_state["live.run"].config.slope == 0.5
    at.selectbox(key="live.activation").select("leaky_relu").run()
    assert at.text_input(key="live.slope").value == "0.01"  # the new activation's default
    at.selectbox(key="live.activation").select("elu").run()
    assert "live.slope" not in [box.key for box in at.text_input]
    assert dict(at.query_params) == {"activation": "elu"}
    assert at.session_state["live.run"].config.slope is None


def test_a_slope_without_a_sloped_activation_and_a_bad_activation_are_warned():
    at = open_app(slope="0.05", activation="gelu")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2
    assert any(w.startswith(plain_markdown("activation = 'gelu':")) for w in warnings)
    ignored = (
        "slope was ignored: relu has no slope (add activation=leaky_relu or activation=prelu "
        "to use it)."
    )
    assert plain_markdown(ignored) in warnings
    assert at.session_state["live.run"].settings == Settings()
    assert dict(at.query_params) == {}


def test_a_setup_loaded_from_another_page_keeps_its_activation_and_slope():
    init = Init(0.5, -0.2, 0.0, 0.0)
    for config, slope in (
        (TrainConfig(bias=False), None),
        (TrainConfig(bias=False, activation="leaky_relu", slope=0.05), 0.05),
        (TrainConfig(bias=False, activation="prelu"), 0.25),
    ):
        settings, warnings = Settings.from_params(live_settings(init, config))
        assert warnings == []
        assert (settings.activation, settings.slope) == (config.activation, slope)
        assert settings.config() == replace(config, slope=slope)


def test_the_header_says_which_cell_it_trains_and_whether_w_1_b_0_solves_it():
    assert cell_sentence("relu", None) == (
        "h ← relu(w_hh·h + w_ih·|x| + b_hh + b_ih) computes the L1 norm of a sequence when "
        "w_hh = w_ih = 1 and b_hh + b_ih = 0."
    )
    assert cell_sentence("leaky_relu", 0.05).startswith(
        "h ← leaky_relu(w_hh·h + w_ih·|x| + b_hh + b_ih), leaky ReLU α = 0.05 in place of the "
        "notebook's ReLU, computes the L1 norm"
    )
    loss = solution_check("softplus").target_loss
    assert cell_sentence("softplus", None).endswith(
        f"w_hh = w_ih = 1, b = 0 is no solution (its loss there is {loss:.3g}, not 0)."
    )


def test_the_header_the_case_line_and_the_tabs_speak_of_the_activation():
    at = open_app(activation="leaky_relu", slope="0.05", **DEAD_UNDER_RELU)
    (case,) = at.expander
    line = case.label.replace("\\", "")
    assert line.startswith("**no bias 2: w_hh +, w_ih −** · notebook, for ReLU: does not converge")
    assert line.endswith(" · this run: leaky ReLU α = 0.05")
    words = "\n".join(caption.value for caption in at.caption).replace("\\", "")
    assert "h ← leaky_relu(w_hh·h" in words and "watch it learn." in words  # it cannot die
    assert "under leaky ReLU at the biases of the step shown" in words
    assert "no region is dead. Under leaky ReLU α = 0.05 some gradient flows below 0" in words
    (landscape,) = [e for e in at.main if _role(e) == "plane"]
    data = json.loads(landscape.proto.json)
    assert [level["label"] for level in data["levels"]] == ["no bias, leaky ReLU α = 0.05"]
    assert [t["name"] for t in data["levels"][0]["traces"]][0] == "dead region"
    open_tab(at, "Firing")
    words = "\n".join(caption.value for caption in at.caption).replace("\\", "")
    assert "Silent steps still carry a gradient (dL/dh)." in words


def test_prelu_landscapes_follow_its_learned_alpha():
    settings = Settings(w_ih=-0.2, activation="prelu")
    trainer = Trainer(settings.init(), settings.config())
    (result,) = trainer.run()
    table = {name: np.asarray(column) for name, column in trainer.history.table().items()}
    levels, columns = run_surfaces(settings.config(), table)
    assert columns == ["alpha"]
    alphas = [key[0] for key, _, _ in levels]  # levels: the path's range of α cut in up to 12
    assert len(alphas) > 1 and alphas[-1] == pytest.approx(0.25, abs=0.02)
    assert alphas[0] == pytest.approx(result.params["alpha"], abs=0.02)
    assert [label for _, _, label in levels] == [f"no bias, PReLU α = {a:.3g}" for a in alphas]
    assert not any(grid.dead.any() for _, grid, _ in levels)


def _role(element) -> str | None:
    """The role of a player component's data ("player", "plane", ...), None for other elements."""
    proto = getattr(element, "proto", None)
    if proto is None or proto.DESCRIPTOR.name != "BidiComponent":
        return None
    return json.loads(proto.json).get("role")


@pytest.fixture(scope="module")
def remedy_table():
    return measure_table(
        TableSettings(samples=4, steps=12_000, recheck=False, activation="leaky_relu")
    )


def test_the_case_panel_says_the_notebook_spoke_of_relu_and_what_this_activation_does(
    remedy_table,
):
    settings = Settings(w_ih=-0.2, activation="leaky_relu")
    (result,) = Trainer(settings.init(), settings.config()).run()
    panel = case_panel(settings, remedy_table, result)
    assert (
        panel.claim == "does not converge (for ReLU)" and panel.activation == "leaky ReLU α = 0.01"
    )
    remedy = remedy_table.row("no-bias-2").remedy
    assert panel.measured.startswith("Measured under ReLU over 4 inits of this region: ")
    assert panel.measured.endswith(
        f"The same inits under leaky ReLU α = 0.01: {remedy.converged:.0%} converge, median "
        f"{remedy.median_steps:,.0f} steps; {remedy.revived:.0%} revived (median step "
        f"{remedy.median_revived_at:,.0f})."
    )
    assert panel.firing == (
        "For ReLU: This init can never fire (w_ih ≤ 0, no bias): the cell is dead from the "
        "start. Under leaky ReLU α = 0.01 some gradient flows below 0, so a silent cell still "
        "learns."
    )
    assert panel.run_agrees is False
    assert panel.run_sentence.endswith("this run uses leaky ReLU α = 0.01.")


def test_the_case_panel_says_when_the_table_has_not_measured_the_activation(remedy_table):
    elu = case_panel(Settings(w_ih=-0.2, activation="elu"), remedy_table, None)
    assert elu.measured.endswith(
        "The table has not measured this region under ELU (python -m l1viz table --activation "
        "elu measures it)."
    )
    other_slope = case_panel(Settings(w_ih=-0.2, activation="leaky_relu", slope=0.05), None, None)
    assert other_slope.measured == (
        "Measuring the region under ReLU at the table's settings… The table has not measured "
        "this region under leaky ReLU α = 0.05 (python -m l1viz table --activation leaky_relu "
        "--slope 0.05 measures it)."
    )
    relu = case_panel(Settings(w_ih=-0.2), documented_rows(TableSettings()), None)
    assert relu.claim == "does not converge" and relu.activation == ""
    assert "ReLU" not in relu.measured + relu.firing


def test_the_case_panel_says_it_is_measuring_the_activation_and_links_to_that_table(
    remedy_table,
):
    settings = Settings(w_ih=-0.2, activation="leaky_relu")
    measuring = documented_rows(TableSettings(activation="leaky_relu"))
    pending = case_panel(settings, measuring, None)
    assert pending.measured == (
        "Measuring the region under ReLU at the table's settings… Measuring the same inits under "
        "leaky ReLU α = 0.01…"
    )
    relu_first = case_panel(settings, remedy_table, None, remedies=measuring)
    assert relu_first.agreement == remedy_table.row("no-bias-2").agreement  # ReLU's, already
    assert relu_first.measured.startswith("Measured under ReLU over 4 inits of this region: ")
    assert relu_first.measured.endswith(" Measuring the same inits under leaky ReLU α = 0.01…")
    assert pending.table_link == {"activation": "leaky_relu", "case": "no-bias-2"}
    view, warnings = TableView.from_params(pending.table_link)
    assert warnings == [] and view.case == "no-bias-2"
    assert view.settings() == TableSettings(activation="leaky_relu")  # the panel's own table
    assert case_panel(Settings(w_ih=-0.2), None, None).table_link == {"case": "no-bias-2"}
    elu = case_panel(Settings(w_ih=-0.2, activation="elu"), None, None)
    assert elu.table_link == {"activation": "elu", "case": "no-bias-2"}


def test_the_live_page_quotes_the_table_measured_under_the_runs_activation_and_links_to_it():
    job = studies.quoted_table("leaky_relu", 0.01)
    at = open_app(activation="leaky_relu", **DEAD_UNDER_RELU)
    deadline = time.monotonic() + 300
    while job.state().status != DONE and time.monotonic() < deadline:
        time.sleep(0.5)
    assert job.state().status == DONE
    at.run()
    remedy = job.state().latest.row("no-bias-2").remedy
    assert (remedy.activation, remedy.slope, remedy.samples) == ("leaky_relu", 0.01, 256)
    (case,) = at.expander
    text = "\n".join(m.value for m in case.markdown).replace("\\", "")
    assert text.endswith(f"The same inits under {remedy_summary(remedy)}.")
    (link,) = at.get("page_link")
    assert link.proto.label == "no bias 2 in the table, with leaky ReLU α = 0.01"
    assert dict(parse_qsl(link.proto.query_string)) == {
        "activation": "leaky_relu",
        "case": "no-bias-2",
    }
