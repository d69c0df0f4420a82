"""A boundary study's levels saved in a directory as each finishes, so an interrupted study
resumes from them (and a run asking for more levels continues it): `study.json` (the study's
settings but its number of levels, and every level's figures, rewritten whole after each level)
and `level-N.npy` (level N's endings, one map per data seed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from l1viz.engine.config import ConfigError
from l1viz.engine.jsontext import dumps
from l1viz.study.map.zoom import zoom_in
from l1viz.study.map.zoom_levels import BoundarySettings, Level

INDEX = "study.json"


class LevelStore:
    def __init__(self, directory: Path | str, settings: BoundarySettings):
        self.directory, self.settings = Path(directory), settings
        self._levels: list[dict] = []

    def load(self) -> tuple[Level, ...]:
        """The levels saved by an earlier run of the same study (none if the directory is new);
        `ConfigError` if it holds another study."""
        index = self.directory / INDEX
        if not index.exists():
            return ()
        try:
            saved = json.loads(index.read_text())
            same = saved["study"] == _plain(self.settings.identity())
        except (OSError, ValueError, KeyError, TypeError) as error:
            message = f"{index} is not a boundary study's index ({error})"
            raise ConfigError("save", message) from None
        if not same:
            raise ConfigError(
                "save", f"{self.directory} holds a study with other settings: choose another"
            )
        levels = []
        for entry in saved["levels"][: self.settings.levels]:
            settings = zoom_in(self.settings.start, entry["x_range"], entry["y_range"])
            endings = np.load(self.directory / f"level-{entry['level']}.npy")
            levels.append(Level(entry["level"], settings, endings, entry["seconds"]))
        self._levels = saved["levels"]
        return tuple(levels)

    def save(self, level: Level) -> None:
        """Write the level's endings, then the index naming it (each replaced atomically)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"level-{level.index}.npy"
        _replace(target, lambda path: np.save(path, level.endings))
        self._levels = [*self._levels[: level.index], _plain(level.to_json())]
        payload = {"study": self.settings.identity(), "levels": self._levels}
        _replace(self.directory / INDEX, lambda path: path.write_text(dumps(payload)))


def _plain(value):
    """As it reads back from JSON (tuples become lists)."""
    return json.loads(dumps(value))


def _replace(target: Path, write) -> None:
    """`write(path)` to a scratch file with the target's suffix (np.save would add .npy to
    another), then rename it over the target."""
    scratch = target.with_name(f"{target.stem}.partial{target.suffix}")
    write(scratch)
    os.replace(scratch, target)
