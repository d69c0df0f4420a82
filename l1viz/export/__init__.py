"""A run exported as code: one Python file or notebook, needing only torch, that trains the run
and ends exactly as the engine's did (`standalone.py` is that file for the notebook's run)."""

from l1viz.export.notebook import notebook_text
from l1viz.export.script import ExportError, check_exportable, script_text

FORMATS = {"py": script_text, "ipynb": notebook_text}

__all__ = ["FORMATS", "ExportError", "check_exportable", "notebook_text", "script_text"]
