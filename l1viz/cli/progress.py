"""The progress bar of the long subcommands, on stderr so that stdout's last line stays JSON."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(show: bool):
    """A tqdm bar on stderr driven by `on_progress(share, label)`; the label names the phase."""
    bar = tqdm(
        total=100,
        disable=not show,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
    )

    def on_progress(share: float, label: str):
        bar.set_description_str(label, refresh=False)
        bar.n = round(min(share, 1.0) * 100)
        bar.refresh()

    return bar, on_progress
