"""How a run ends is worded in one module, l1viz/study/vocabulary.py: every phrase about an ending
is written there and nowhere else in the package or the pages, its glossary names every engine
outcome and ending, and the badge, the legends and the table read their words from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.outcomes import Ending, Outcome
from l1viz.engine.trainer import Trainer
from l1viz.plots import palette
from l1viz.study import vocabulary
from l1viz.study.table.agreement import Agreement
from l1viz.study.vocabulary import ENDING_WORDS, SAMPLE_WORDS, Pending, colour_key, label

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = "l1viz/study/vocabulary.py"
# Phrases about how a run ends (compared without case: "Converged at step" counts).
KNOWN_PHRASES = (
    "fires only for |x| >",
    "from the start",
    "per N(0, 1) input",
    "w_ih ≤ 0 and b_hh + b_ih ≤ 0",
    "w_ih ≤ 0 (no bias)",
    "w_ih ≤ 0, no bias",
    "w_ih > 0 > b_hh + b_ih",
    "converged at step",
    "died at step",
    "diverged at step",
    "dead in practice",
    "died during training",
    "stalled at the",
)


def strings_of(source: str) -> list[str]:
    """Every string literal of a module (f-strings' literal parts included), docstrings left out."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def phrase_places(sources: dict[str, str]) -> dict[str, set[str]]:
    """Phrase -> the files whose string literals contain it."""
    places = {phrase: set() for phrase in KNOWN_PHRASES}
    for path, source in sources.items():
        text = "\n".join(strings_of(source)).lower()
        for phrase in KNOWN_PHRASES:
            if phrase.lower() in text:
                places[phrase].add(path)
    return places


def project_sources() -> dict[str, str]:
    files = [*(ROOT / "l1viz").rglob("*.py"), *(ROOT / "app_pages").rglob("*.py"), ROOT / "app.py"]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in files}


def test_each_phrase_about_an_ending_is_written_only_in_the_vocabulary():
    places = phrase_places(project_sources())
    elsewhere = {phrase: files for phrase, files in places.items() if files != {VOCABULARY}}
    assert not elsewhere, elsewhere


def test_the_scan_catches_a_phrase_written_again_in_a_page():
    sources = {
        VOCABULARY: 'WORDS = "dead in practice"\n',
        "app_pages/some_page.py": 'st.caption(f"It Died at step {step}, sadly")\n',
        "l1viz/plots/legend.py": '"""It may say dead in practice."""\nNAME = "dead in practice"\n',
    }
    places = phrase_places(sources)
    assert places["died at step"] == {"app_pages/some_page.py"}
    assert places["dead in practice"] == {VOCABULARY, "l1viz/plots/legend.py"}


def test_the_scan_leaves_docstrings_and_comments_out():
    source = '"""Dead in practice from the start."""\n# died at step 3\nx = 1\n'
    assert not any(phrase_places({"l1viz/a.py": source}).values())


def test_the_glossary_names_every_outcome_ending_and_pending_badge():
    glossary = vocabulary.__doc__
    for name in [*(o.value for o in Outcome), *(e.name for e in Ending)]:
        assert name in glossary, name
    assert "ready (step 0), training" in glossary


def test_legends_and_buttons_take_their_words_from_the_vocabulary():
    assert {e: palette.ENDINGS[e].label for e in Ending} == ENDING_WORDS
    assert set(SAMPLE_WORDS) == set(Ending) and set(palette.AGREEMENT) == set(Agreement)
    assert set(palette.PENDING) == set(Pending)


def test_a_runs_badge_is_ready_then_training_then_keyed_by_its_ending():
    trainer = Trainer(Init(0.83, 0.7645), TrainConfig(bias=False, steps=3))
    assert (colour_key(trainer.results()[0]), label(trainer.results()[0])) == ("ready", "ready")
    trainer.step(1)
    assert (colour_key(trainer.results()[0]), label(trainer.results()[0])) == (
        Pending.TRAINING,
        "training",
    )
    trainer.step(2)
    result = trainer.results()[0]
    assert (colour_key(result), label(result)) == (Ending.STALLED, "stalled")
    assert palette.shade(colour_key(result)) is palette.ENDINGS[Ending.STALLED]
    assert palette.shade(Pending.READY) is palette.PENDING[Pending.READY]


SGD_LR_3 = {"optimizer": "sgd", "lr": 3.0, "steps": 1000}


@pytest.mark.parametrize(
    "init,config,key,words",
    [
        (Init(0.5, -0.3), TrainConfig(bias=False), Ending.DEAD_AT_INIT, "dead from the start"),
        (Init(1.0, 1.0), TrainConfig(bias=False), Ending.CONVERGED, "converged at step 0"),
        (Init(0.5, 0.5), TrainConfig(bias=False, **SGD_LR_3), Ending.DIED, "died at step 2"),
        (Init(0.9, 0.5, 0.1, 0.1), TrainConfig(**SGD_LR_3), Ending.DIVERGED, "diverged at step 1"),
    ],
)
def test_a_finished_runs_badge_names_its_ending(init, config, key, words):
    result = Trainer(init, config).run()[0]
    assert (colour_key(result), label(result)) == (key, words)
