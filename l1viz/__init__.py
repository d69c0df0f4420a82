"""l1viz: how initialisation decides whether a one-unit ReLU recurrent cell learns the L1 norm.

Layers, bottom to top; each imports only from the ones below it (pyproject.toml's import-linter
contracts check this):

    engine   training one or many cells and judging how each run ends (torch only)
    study    the notebook's observations, the measured table, outcome maps, explanations
    plots    pure functions from results to plotly figures, one palette
    export   a run written as a standalone PyTorch script or notebook (beside tracking)
    live     the dashboard's state: its settings and URL form, presets, the live run, its history
    cli      `python -m l1viz` (beside live; tracking.py, MLflow, sits under both)

The Streamlit pages (`app.py`, `app_pages/`) sit on top of them all.
"""
