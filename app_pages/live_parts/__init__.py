"""The live page's parts: sidebar controls and URL, the after-run section, the run history, the
MLflow switch and the cached landscape."""
