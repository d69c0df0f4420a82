"""The standalone file as a Jupyter notebook: its `# %%` sections become cells.

A `# %% [markdown]` section becomes a markdown cell (its comment lines without the `# `), a
`# %%` section a code cell; the docstring opens the notebook. The script's `__main__` block is
replaced by a cell that trains the exact form and prints its result, then one that trains the
autograd form for comparison.
"""

from __future__ import annotations

import re
from functools import lru_cache

from l1viz.engine.config import Init, TrainConfig
from l1viz.export.script import docstring, script_text

SECTION = re.compile(r"^# %%( \[markdown\])?\n", re.MULTILINE)
MAIN = "def report("
NOTEBOOK_USAGE = (
    "The setup is the cell of constants below. Run all cells: the first run trains it exactly "
    "as l1viz's engine does, float32 bit for bit, and prints how the run ended, the step and the "
    "final parameters; the last trains the same setup with nn.RNNCell, loss.backward() and "
    "torch.optim instead (the section before it says how far that lands). Needs only torch."
)
RUN_CELLS = (
    "print(report(*train()))",
    "The same setup trained with autograd, for comparison:",
    "print(report(*train_with_autograd()))",
)


def _markdown(section: str) -> str:
    lines = section.strip().splitlines()
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)


def cells_of(script: str) -> list:
    """The notebook's cells, in the order of the file."""
    from nbformat import v4

    docstring_end = script.index('"""', 3)
    cells = [v4.new_markdown_cell("# " + docstring(NOTEBOOK_USAGE))]
    parts = SECTION.split(script[docstring_end + 3 :])
    cells.append(v4.new_code_cell(parts[0].strip()))
    for marker, body in zip(parts[1::2], parts[2::2]):
        if body.startswith(MAIN):
            cells.append(v4.new_code_cell(body[: body.index("\n\n\nif __name__")]))
            cells.append(v4.new_code_cell(RUN_CELLS[0]))
            cells.append(v4.new_markdown_cell(RUN_CELLS[1]))
            cells.append(v4.new_code_cell(RUN_CELLS[2]))
        elif marker:
            cells.append(v4.new_markdown_cell(_markdown(body)))
        else:
            cells.append(v4.new_code_cell(body.strip()))
    return cells


@lru_cache(maxsize=64)
def notebook_text(config: TrainConfig, init: Init) -> str:
    """The run as an .ipynb file (nbformat 4), without outputs."""
    import nbformat  # slow to import: only when a notebook is asked for (not at CLI start)
    from nbformat import v4

    cells = cells_of(script_text(config, init))
    for number, cell in enumerate(cells):  # fixed ids: the same setup gives the same file
        cell["id"] = f"cell-{number}"
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return nbformat.writes(notebook)
