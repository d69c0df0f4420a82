"""The live view's setup <-> URL: defaults, exact round trips, garbage in, presets."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l1viz.engine.config import (
    ACTIVATIONS,
    CRITERIA,
    MAX_BATCH_SIZE,
    MAX_LENGTH,
    MAX_STEPS,
    OPTIMIZERS,
    PARAMETERS,
    SLOPE_DEFAULTS,
    TRANSFORMS,
)
from l1viz.engine.pytorch_init import default_init
from l1viz.engine.trainer import Trainer
from l1viz.live.presets import DEAD_INIT, IDENTITY_INIT, apply_preset, preset_help, pytorch_init
from l1viz.live.settings import (
    FIELD_NAMES,
    MAX_SEED,
    MAX_SLOPE,
    MAX_STEP_VALUES,
    NOTEBOOK_INIT,
    Settings,
    format_value,
)


def f32(value: float) -> float:
    return float(np.float32(value))


def test_default_is_the_notebook_setup_and_a_bare_url():
    default = Settings()
    assert default.to_query() == {}
    assert (default.w_hh, default.w_ih) == (NOTEBOOK_INIT.w_hh, NOTEBOOK_INIT.w_ih)
    assert NOTEBOOK_INIT == default_init(42, bias=False)
    assert round(default.w_hh, 4) == 0.8300 and round(default.w_ih, 4) == 0.7645
    config = default.config()
    assert (config.bias, config.lr, config.optimizer, config.batch_size, config.max_length) == (
        False,
        1e-3,
        "adam",
        32,
        10,
    )
    assert (config.seed, config.steps, config.transform, config.criterion) == (
        42,
        50_000,
        "where",
        "exact",
    )


def test_the_issue_example_url_gives_exactly_that_setup():
    settings, warnings = Settings.from_params({"w_hh": "0.7", "w_ih": "-0.2", "bias": "false"})
    assert warnings == []
    assert settings == Settings(w_hh=0.7, w_ih=-0.2, bias=False)
    assert settings.w_hh == f32(0.7) and settings.w_ih == f32(-0.2)
    assert settings.to_query() == {"w_hh": "0.7", "w_ih": "-0.2"}
    trainer = Trainer(settings.init(), settings.config())
    initial = trainer.named_params(initial=True)
    assert (initial["w_hh"], initial["w_ih"]) == (settings.w_hh, settings.w_ih)


finite_init = st.floats(-2.0, 2.0, allow_nan=False, width=32)


@st.composite
def valid_settings(draw):
    batch_size = draw(st.integers(1, MAX_BATCH_SIZE))
    return Settings(
        w_hh=draw(finite_init),
        w_ih=draw(finite_init),
        b_hh=draw(finite_init),
        b_ih=draw(finite_init),
        bias=draw(st.booleans()),
        lr=draw(st.floats(1e-4, 1.0)),
        optimizer=draw(st.sampled_from(OPTIMIZERS)),
        batch_size=batch_size,
        max_length=draw(st.integers(1, min(MAX_LENGTH, MAX_STEP_VALUES // batch_size))),
        seed=draw(st.integers(0, MAX_SEED)),
        steps=draw(st.integers(1, MAX_STEPS)),
        transform=draw(st.sampled_from(TRANSFORMS)),
        criterion=draw(st.sampled_from(CRITERIA)),
        tolerance=draw(st.floats(1e-8, 100.0)),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        slope=draw(st.one_of(st.none(), st.floats(1e-6, MAX_SLOPE))),  # ignored unless sloped
    )


@given(valid_settings())
@settings(max_examples=300)
def test_every_setup_survives_the_url_bit_for_bit(setup):
    again, warnings = Settings.from_params(setup.to_query())
    assert warnings == []
    assert again == setup
    assert again.config() == setup.config() and again.init() == setup.init()


garbage_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e999",
            "-1",
            "0",
            "2.5",
            "3",
            "1e-9",
            "true",
            "4096",
            "10000",
            "<b>x</b>",
            "[a](javascript:x)",
            "$x$",
            "",
        ]
    ),
)


def _as_given(name: str, raw: str):
    """What an accepted URL text means for a field, independently of the parser under test."""
    kind = type(getattr(Settings(), name))
    text = raw.strip().lower()
    if kind is bool:
        return text in ("true", "1", "yes", "on")
    if kind is str:
        return text
    return float(text)


@given(st.dictionaries(st.sampled_from(FIELD_NAMES + ("foo", "w-hh")), garbage_text, max_size=8))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_any_url_gives_a_valid_setup_and_a_warning_per_rejected_value(query):
    setup, warnings = Settings.from_params(query)
    setup.config()  # always valid for the engine
    setup.init()
    default = Settings()
    assert setup.batch_size * setup.max_length <= MAX_STEP_VALUES
    for name, raw in query.items():
        about = [w for w in warnings if w.startswith(f"{name} ") or f"{name!r}" in w]
        about = [w for w in about if not w.startswith("batch_size × max_length")]
        if name == "max_length" and any(f"{name} lowered" in w for w in warnings):
            continue
        if name not in FIELD_NAMES:
            assert about == [f"Unknown URL parameter {name!r} was ignored."]
        elif about and "ignored" in about[0] and name == "slope":  # no slope to set
            assert setup.activation not in SLOPE_DEFAULTS and setup.slope is None
        elif about and "ignored" in about[0]:  # a bias given to a cell without bias
            assert not setup.bias and getattr(setup, name) == 0.0
        elif about and name == "slope":
            assert setup.slope == SLOPE_DEFAULTS.get(setup.activation)
        elif about:
            assert getattr(setup, name) == getattr(default, name)
        else:
            given_value = _as_given(name, raw)
            if name in PARAMETERS:
                given_value = f32(given_value)
            assert getattr(setup, name) == given_value


@pytest.mark.parametrize(
    "name,raw,problem",
    [
        ("w_hh", "abc", "must be a number"),
        ("w_hh", "nan", "must be a finite number"),
        ("w_ih", "3e6", "between -1,000,000 and 1,000,000"),
        ("lr", "0", "above 0 and at most 1,000"),
        ("lr", "1e999", "finite"),
        ("batch_size", "2.5", "whole number"),
        ("max_length", "0", "between 1 and 10,000"),
        ("steps", "-5", "between 0 and"),
        ("optimizer", "rmsprop", "one of adam, sgd"),
        ("transform", "abs", "one of where, relu-pair, learned"),
        ("criterion", "close", "one of tolerance, loss, exact"),
        ("bias", "maybe", "true or false"),
        ("seed", str(2**40), "between 0 and"),
    ],
)
def test_garbage_values_are_named_explained_and_replaced_by_the_default(name, raw, problem):
    setup, warnings = Settings.from_params({name: raw})
    assert setup == Settings()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{name} = {raw!r}: ") and problem in warnings[0]
    default = format_value(name, getattr(Settings(), name))
    assert warnings[0].endswith(f"Using the default, {default}.")


# For every URL parameter: text that is not a value at all, and a well-formed value out of range.
BAD_VALUES = {
    "w_hh": ("0.5x", "2.5e6"),
    "w_ih": ("one", "-7e6"),
    "b_hh": ("--1", "9e9"),
    "b_ih": ("1,5", "-3e7"),
    "bias": ("maybe", "2"),
    "lr": ("fast", "2000"),
    "optimizer": ("", "rmsprop"),
    "batch_size": ("lots", "0"),
    "max_length": ("1.5", "10001"),
    "seed": ("x", "-1"),
    "steps": ("many", "-1"),
    "transform": ("", "abs"),
    "criterion": ("", "close"),
    "tolerance": ("tiny", "0"),
    "activation": ("", "gelu"),
    "slope": ("steep", "1"),
}
# A value that only counts beside another: the biases with bias, the slope with a sloped activation.
COMPANIONS = {
    "b_hh": {"bias": True},
    "b_ih": {"bias": True},
    "slope": {"activation": "leaky_relu"},
}


def test_every_parameter_is_covered_by_the_bad_value_cases():
    assert set(BAD_VALUES) == set(FIELD_NAMES)


@pytest.mark.parametrize("name", FIELD_NAMES)
@pytest.mark.parametrize("kind", ["garbage", "out of range", "empty", "repeated"])
def test_every_bad_url_value_is_named_and_the_default_used(name, kind):
    garbage, out_of_range = BAD_VALUES[name]
    raw = {
        "garbage": garbage,
        "out of range": out_of_range,
        "empty": "",
        "repeated": [out_of_range, garbage],
    }[kind]
    companion = COMPANIONS.get(name, {})
    setup, warnings = Settings.from_params({name: raw, **companion})
    assert len(warnings) == 1 and warnings[0].startswith(f"{name} ")
    default = Settings(**companion)
    assert setup == default
    used = "the activation's own" if name == "slope" else format_value(name, getattr(default, name))
    assert warnings[0].endswith(f"Using the default, {used}.")


def test_a_repeated_parameter_is_ambiguous_even_when_each_value_is_good():
    setup, warnings = Settings.from_params({"lr": ["0.01", "0.1"], "seed": ["7"]})
    assert (setup.lr, setup.seed) == (Settings().lr, 7)
    assert warnings == ["lr was given 2 times ('0.01', '0.1'). Using the default, 0.001."]
    _, warnings = Settings.from_params({"steps": ["1", "2", "3", "4"]})
    assert warnings == ["steps was given 4 times ('1', '2', '3', …). Using the default, 50000."]


def test_the_slope_is_written_only_when_it_is_not_its_activations_default():
    assert Settings(activation="leaky_relu").to_query() == {"activation": "leaky_relu"}
    sloped = Settings(activation="leaky_relu", slope=0.05)
    assert sloped.to_query() == {"activation": "leaky_relu", "slope": "0.05"}
    assert Settings.from_params({"activation": "leaky_relu", "slope": "0.05"}) == (sloped, [])
    prelu, warnings = Settings.from_params({"activation": "prelu"})
    assert (prelu.slope, warnings) == (0.25, [])
    assert Settings(activation="elu", slope=0.05).slope is None  # ELU has none to set
    assert sloped.config().slope == 0.05 and Settings(activation="tanh").config().slope is None


def test_a_step_stays_small_enough_for_the_live_view():
    setup, warnings = Settings.from_params({"batch_size": "4096", "max_length": "10000"})
    assert (setup.batch_size, setup.max_length) == (4096, 256)
    assert warnings == [
        "batch_size × max_length: at most 1,048,576 values per step in the live "
        "view. max_length lowered to 256."
    ]
    assert Settings.from_params({"max_length": "10000"}) == (Settings(max_length=10_000), [])
    with pytest.raises(ValueError, match="batch_size × max_length"):
        Settings(batch_size=4096, max_length=10_000)


def test_accepted_spellings():
    setup, warnings = Settings.from_params(
        {"bias": "TRUE", "steps": "1e4", "batch_size": "64.0", "optimizer": "SGD", "lr": " 0.01 "}
    )
    assert warnings == []
    assert (setup.bias, setup.steps, setup.batch_size, setup.optimizer, setup.lr) == (
        True,
        10_000,
        64,
        "sgd",
        0.01,
    )


def test_plain_values_from_another_page():
    setup, warnings = Settings.from_params(
        {
            "w_hh": np.float64(0.5),
            "w_ih": 1,
            "bias": True,
            "seed": 7,
            "steps": 1000.0,
            "b_hh": -0.25,
            "b_ih": 0.0,
            "transform": "relu-pair",
        }
    )
    assert warnings == []
    assert setup == Settings(
        w_hh=0.5, w_ih=1.0, bias=True, seed=7, steps=1000, b_hh=-0.25, transform="relu-pair"
    )
    assert isinstance(setup.steps, int)
    _, warnings = Settings.from_params({"seed": True, "bias": 1.5})
    assert [w.split(" = ")[0] for w in warnings] == ["seed", "bias"]


def test_biases_are_part_of_the_setup_only_with_bias():
    setup, warnings = Settings.from_params({"b_hh": "0.5", "b_ih": "0"})
    assert (setup.b_hh, setup.b_ih) == (0.0, 0.0)
    assert warnings == ["b_hh was ignored: the cell has no bias (add bias=true to use it)."]
    setup, warnings = Settings.from_params({"b_hh": "0.5", "bias": "true"})
    assert warnings == [] and setup.b_hh == 0.5
    assert setup.to_query() == {"b_hh": "0.5", "bias": "true"}
    assert Settings(b_hh=0.5, bias=False).b_hh == 0.0


def test_user_text_in_warnings_is_quoted_and_shortened():
    long_name = "x" * 100
    _, warnings = Settings.from_params({long_name: "1", "lr": "y" * 100})
    assert warnings[0] == f"Unknown URL parameter {('x' * 40 + '…')!r} was ignored."
    assert ("y" * 40 + "…") in warnings[1] and "y" * 41 not in warnings[1]


def test_float32_values_are_written_as_their_shortest_exact_text():
    assert format_value("w_hh", NOTEBOOK_INIT.w_hh) == "0.8300079"
    assert Settings.from_params({"w_hh": "0.8300079"})[0].w_hh == NOTEBOOK_INIT.w_hh
    assert format_value("lr", 0.0003) == "0.0003" and format_value("bias", True) == "true"
    assert not math.isclose(f32(0.1), 0.1, abs_tol=1e-12)
    assert Settings(w_hh=0.1).to_query() == {"w_hh": "0.1"}


def test_presets():
    changed = Settings(bias=True, seed=3, lr=0.01, optimizer="sgd", steps=700, max_length=20)
    notebook = apply_preset(changed, "notebook")
    assert notebook == Settings()  # the notebook's whole run: init, seed 42, hyperparameters
    assert notebook.bias is False and notebook.init() == NOTEBOOK_INIT and notebook.seed == 42
    with_bias = Settings(bias=True, seed=3)
    assert apply_preset(with_bias, "identity").init() == IDENTITY_INIT
    for bias in (False, True):
        dead = apply_preset(Settings(bias=bias), "dead")
        assert dead.bias is bias
        (result,) = Trainer(dead.init(), dead.config()).run()
        assert result.outcome == "dead" and result.died_at == 0 and result.dead_at_init
    assert DEAD_INIT.b_hh + DEAD_INIT.b_ih < 0


def test_the_dead_preset_names_the_biases_only_when_the_cell_has_them():
    assert "b_hh + b_ih" in preset_help("dead", bias=True)
    assert "b_hh" not in preset_help("dead", bias=False)
    assert "no bias" in preset_help("dead", bias=False)


@pytest.mark.parametrize("bias", [False, True])
def test_pytorch_init_comes_from_the_seed_and_becomes_the_data_seed(bias):
    setup = pytorch_init(Settings(bias=bias), seed=1234)
    assert setup.seed == 1234
    assert setup.init() == Settings(bias=bias).with_init(default_init(1234, bias)).init()
    assert pytorch_init(Settings(bias=False, seed=42)).init() == NOTEBOOK_INIT
