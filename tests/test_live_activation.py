"""The live page's activation (issue 20): the sidebar's activation and slope, the address, a run
that trains under it, and the tabs that speak of it, through Streamlit's AppTest."""

import json
from dataclasses import replace

import numpy as np
import pytest

from app_pages.common import plain_markdown
from app_pages.live_parts.surface import run_surfaces
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.trainer import Trainer
from l1viz.live.links import live_settings
from l1viz.live.settings import Settings
from tests.test_app import engine, open_app, open_tab, watched_to_end

# No bias and w_ih < 0: dead from the start under ReLU; leaky ReLU revives it.
DEAD_UNDER_RELU = {"w_ih": "-0.2", "bias": "false"}


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


def test_the_landscape_and_firing_tabs_speak_of_the_activation():
    at = open_app(activation="leaky_relu", slope="0.05", **DEAD_UNDER_RELU)
    words = "\n".join(caption.value for caption in at.caption).replace("\\", "")
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
