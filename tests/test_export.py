"""A run exported as code ends exactly as the engine's run: same outcome, step and float32 bits."""

from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
from dataclasses import replace

import nbformat
import numpy as np
import pytest
import torch

from app_pages.common import plain_markdown
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.pytorch_init import default_init
from l1viz.engine.trainer import Trainer
from l1viz.export import ExportError, notebook_text, script_text, standalone
from l1viz.export import script as export_script
from l1viz.export.autograd_gap import NOTEBOOK_GAP, measure
from l1viz.study.notebook import NOTEBOOK_INIT

RESULT = re.compile(r"^outcome: (\w+), step: (\d+), parameters: (\{.*\})$")
NOTEBOOK = TrainConfig(bias=False)
# (name, config, init, the outcome and step the engine reaches: what each setup is for)
SETUPS = [
    ("notebook", NOTEBOOK, NOTEBOOK_INIT, "converged", 9783),
    ("dead at init", NOTEBOOK, Init(0.5, -0.3), "dead", 99),
    ("high-lr death", TrainConfig(lr=0.3), default_init(42, True), "dead", 118),
    ("biases on", TrainConfig(lr=0.1), default_init(42, True), "converged", 702),
    (
        "dead in practice",
        TrainConfig(steps=3000),
        Init(0.5, 0.3, -3.0, -2.0),
        "dead_in_practice",
        99,
    ),
    ("diverged", TrainConfig(bias=False, max_length=200), Init(2.0, 1.0), "diverged", 0),
    (
        "sgd",
        TrainConfig(bias=False, optimizer="sgd", lr=0.5, steps=500),
        Init(0.9, 1.9),
        "stalled",
        500,
    ),
    (
        "relu-pair",
        TrainConfig(bias=False, transform="relu-pair", lr=0.1),
        NOTEBOOK_INIT,
        "converged",
        350,
    ),
    (
        "learned",
        TrainConfig(transform="learned", lr=0.01, steps=500),
        Init(0.5, 0.3, 0.1, -0.2),
        "stalled",
        500,
    ),
    (
        "tolerance",
        TrainConfig(bias=False, criterion="tolerance", tolerance=0.05),
        NOTEBOOK_INIT,
        "converged",
        984,
    ),
    (
        "loss",
        TrainConfig(bias=False, criterion="loss", tolerance=0.01),
        NOTEBOOK_INIT,
        "converged",
        211,
    ),
    ("no early stop", replace(NOTEBOOK, early_stop=False, steps=400), Init(0.5, -0.3), "dead", 400),
    # Activations: the dead rules are ReLU's only, so the dead case trains on under leaky ReLU.
    (
        "leaky_relu",
        replace(NOTEBOOK, activation="leaky_relu", steps=400),
        Init(0.5, -0.3),
        "stalled",
        400,
    ),
    (
        "prelu",
        TrainConfig(activation="prelu", slope=0.1, lr=0.01),
        default_init(42, True),
        "converged",
        672,
    ),
    (
        "elu",
        TrainConfig(activation="elu", transform="relu-pair", lr=0.1, steps=300),
        Init(0.5, -0.3, -0.2, 0.1),
        "stalled",
        300,
    ),
    (
        "softplus",
        TrainConfig(activation="softplus", steps=300),
        default_init(42, True),
        "stalled",
        300,
    ),
    (
        "tanh",
        TrainConfig(activation="tanh", transform="learned", optimizer="sgd", lr=0.05, steps=300),
        default_init(3, True),
        "stalled",
        300,
    ),
]


def engine_result(config: TrainConfig, init: Init):
    trainer = Trainer(init, replace(config, history_rows=0))
    result = trainer.run()[0]
    return result.outcome, result.steps, {name: result.params[name] for name in trainer.cell.names}


def parse_result(line: str):
    match = RESULT.match(line)
    assert match, line
    return match[1], int(match[2]), ast.literal_eval(match[3])


def run_file(path, *args) -> str:
    done = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("config", "init", "outcome", "step"),
    [setup[1:] for setup in SETUPS],
    ids=[setup[0] for setup in SETUPS],
)
def test_exported_script_ends_as_the_engine(tmp_path, config, init, outcome, step):
    path = tmp_path / "run.py"
    path.write_text(script_text(config, init))
    expected = engine_result(config, init)
    assert expected[:2] == (outcome, step)
    assert parse_result(run_file(path)) == expected


def test_autograd_form_runs_from_the_file(tmp_path):
    """`--autograd` trains the learned layer too, to a result near the exact one, not on it."""
    path = tmp_path / "run.py"
    config, init = TrainConfig(transform="learned", lr=0.3, steps=300), default_init(42, True)
    path.write_text(script_text(config, init))
    outcome, step, params = parse_result(run_file(path, "--autograd"))
    exact = engine_result(config, init)
    assert (outcome, step) == exact[:2] == ("stalled", 300)
    assert params.keys() == exact[2].keys()
    assert params != exact[2]
    assert max(abs(params[name] - exact[2][name]) for name in params) < 1e-3


def exported_module(config: TrainConfig, init: Init) -> dict:
    """The exported file's names, run as a module (not as __main__)."""
    namespace = {"__name__": "exported"}
    exec(compile(script_text(config, init), "run.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("activation", ["leaky_relu", "prelu", "elu", "softplus", "tanh"])
def test_the_autograd_form_of_each_activation_lands_near_the_exact_one(activation):
    """nn.RNNCell for tanh, its weights with torch.nn.functional's activation for the others."""
    config, init = TrainConfig(activation=activation, steps=100), default_init(5, True)
    exported = exported_module(config, init)
    exact, autograd = exported["train"](), exported["train_with_autograd"]()
    assert exact == engine_result(config, init)
    assert autograd[:2] == exact[:2] == ("stalled", 100)
    assert autograd[2].keys() == exact[2].keys()
    assert max(abs(autograd[2][name] - exact[2][name]) for name in exact[2]) < 1e-4
    if activation == "prelu":  # alpha is learned by both forms
        assert exact[2]["alpha"] != 0.25 and autograd[2]["alpha"] != 0.25


def test_autograd_difference_is_as_stated():
    """The figures the file and the live view state, measured again on the notebook's run."""
    gap = measure()
    assert gap.first_different_step == NOTEBOOK_GAP.first_different_step
    assert gap.autograd_converged_at == NOTEBOOK_GAP.autograd_converged_at == 9089
    assert gap.exact_converged_at == NOTEBOOK_GAP.exact_converged_at == 9783
    for name in ("gradient_difference", "largest_difference"):
        assert float(f"{getattr(gap, name):.1e}") == getattr(NOTEBOOK_GAP, name)


def test_the_template_is_the_notebook_run():
    """standalone.py is the export of the notebook's setup, less the filled-in text."""
    exported = script_text(NOTEBOOK, NOTEBOOK_INIT)
    text = export_script.template()
    start, end = export_script._setup_span(text)
    assert exported.count(text[start:end]) == 1


def test_exported_script_imports_only_torch():
    config = TrainConfig(transform="learned")
    tree = ast.parse(script_text(config, default_init(7, True)))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"math", "sys", "torch"}


def test_exported_script_is_lint_clean(tmp_path):
    for number, config in enumerate([NOTEBOOK, TrainConfig(transform="learned", steps=123_456)]):
        (tmp_path / f"run_{number}.py").write_text(script_text(config, default_init(3, True)))
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--line-length", "100", str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_an_unknown_setting_is_refused_unless_it_has_its_default(monkeypatch):
    """A setting the file cannot express yet (here: pretend history_rows were one) is named."""
    monkeypatch.setattr(export_script, "NOT_IN_THE_FILE", ("device",))
    assert "HISTORY_ROWS" not in export_script.fill(
        export_script.template(), NOTEBOOK, NOTEBOOK_INIT
    )
    with pytest.raises(ExportError, match="history_rows = 5 is not written out"):
        script_text(replace(NOTEBOOK, history_rows=5), NOTEBOOK_INIT)


def test_the_stream_written_out_is_the_engines():
    from l1viz.engine.data import batch_at

    for seed, batch_size, max_length, step in [
        (42, 32, 10, 0),
        (7, 5, 3, 123_457),
        (2**32 - 1, 17, 13, 999),
    ]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(standalone, "SEED", seed)
            patch.setattr(standalone, "BATCH_SIZE", batch_size)
            patch.setattr(standalone, "MAX_LENGTH", max_length)
            x, target = standalone.batch(step)
        expected = batch_at(seed, batch_size, max_length, step)
        assert torch.equal(x, expected.x) and torch.equal(target, expected.target)


def test_exact_sqrt_is_correctly_rounded():
    """Over every float32 magnitude, the written-out square root is the IEEE one (numpy's)."""
    generator = torch.Generator().manual_seed(1)
    mantissa = torch.rand(1 << 18, generator=generator, dtype=torch.float64) + 1
    exponent = torch.randint(-149, 128, (1 << 18,), generator=generator).double()
    values = (mantissa * 2.0**exponent).float()
    values = torch.cat([values[torch.isfinite(values)], torch.tensor([0.0, -0.0, 1e-45, 4.0])])
    ieee = torch.from_numpy(np.sqrt(values.numpy()))
    assert torch.equal(standalone.exact_sqrt(values), ieee)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_written_out_optimisers_are_torch_optims(optimizer):
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(6, generator=generator)
    tensor = start.clone().requires_grad_(True)
    theirs = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer]([tensor], lr=0.003)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(standalone, "LR", 0.003)
        ours, params = standalone.OPTIMIZERS[optimizer](start), start
        for _ in range(200):
            grads = torch.randn(6, generator=generator) * 10.0 ** torch.randint(-8, 4, (1,)).item()
            tensor.grad = grads.clone()
            theirs.step()
            params = ours.step(params, grads)
            assert torch.equal(params, tensor.detach())


def test_exported_notebook_runs_under_nbconvert(tmp_path):
    config, init = TrainConfig(lr=0.3), default_init(42, True)
    path = tmp_path / "run.ipynb"
    path.write_text(notebook_text(config, init))
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    executed = nbformat.read(tmp_path / "run.nbconvert.ipynb", as_version=4)
    printed = [
        output["text"].strip()
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    ]
    assert parse_result(printed[0]) == engine_result(config, init)
    outcome, _, params = parse_result(printed[1])
    assert outcome == "dead" and all(math.isfinite(value) for value in params.values())


def test_the_live_page_offers_the_script_and_the_notebook():
    from tests.test_app import open_app

    at = open_app(w_ih="-0.2", lr="0.01")
    buttons = {button.key: button.label for button in at.download_button}
    assert buttons == {
        "live.export.py": "Download as PyTorch script",
        "live.export.ipynb": "Download as notebook",
    }
    shown = " ".join(caption.value for caption in at.caption)
    assert plain_markdown(NOTEBOOK_GAP.sentence) in shown
    assert "9,089 instead of 9,783" in NOTEBOOK_GAP.sentence


def test_the_live_page_says_when_a_setup_cannot_be_exported(monkeypatch):
    from tests.test_app import open_app

    def refuse(config):
        raise ExportError("activation = 'tanh' is not written out by the exporter yet")

    monkeypatch.setattr("app_pages.live_parts.export.check_exportable", refuse)
    at = open_app()
    assert [button.key for button in at.download_button] == []
    refused = plain_markdown(
        "No download as code for this setup: activation = 'tanh' is not written out by the "
        "exporter yet."
    )
    assert refused in [caption.value for caption in at.caption]


# -- python -m l1viz export ---------------------------------------------------------------------
TRAIN_FLAGS = ["--lr", "0.3", "--seed", "42", "--steps", "2000"]  # PyTorch's init with bias


def test_the_cli_export_ends_as_the_cli_train(tmp_path, capsys):
    """`export` takes `train`'s flags; the file it writes ends as `train` does."""
    from l1viz.cli import main

    assert main(["train", *TRAIN_FLAGS, "--json"]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    path = tmp_path / "run.py"
    assert main(["export", *TRAIN_FLAGS, "-o", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {path}; `python {path}` trains the run")
    outcome, step, params = parse_result(run_file(path))
    assert (outcome, step) == (trained["outcome"], trained["steps"]) == ("dead", 118)
    assert params == {name: trained["params"][name] for name in params}
    assert list(params) == ["w_hh", "w_ih", "b_hh", "b_ih"]


def test_the_cli_export_writes_a_notebook_by_extension_or_format(tmp_path, capsys):
    from l1viz.cli import main

    for name, extra in (("run.ipynb", []), ("run.txt", ["--format", "ipynb"])):
        assert main(["export", "--no-bias", *extra, "-o", str(tmp_path / name)]) == 0
        notebook = nbformat.read(tmp_path / name, as_version=4)
        nbformat.validate(notebook)
        assert "BIAS = False" in "".join(cell.source for cell in notebook.cells)
    assert main(["export", "--no-bias", "-o", "-"]) == 0
    assert capsys.readouterr().out.endswith(script_text(NOTEBOOK, default_init(42, False)))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["-o", "/no/such/dir/run.py"], "argument -o/--output: cannot write '/no/such/dir/run.py'"),
        (["--lr", "0", "-o", "x.py"], "argument --lr: must be a finite number > 0, got 0.0"),
        (["--format", "txt", "-o", "x.py"], "argument --format: invalid choice: 'txt'"),
        ([], "the following arguments are required: -o/--output"),
    ],
)
def test_the_cli_export_names_a_bad_argument_in_one_line(
    tmp_path, monkeypatch, capsys, flags, message
):
    from l1viz.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export", *flags]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"l1viz: error: {message}")
    assert not (tmp_path / "x.py").exists()
