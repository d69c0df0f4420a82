"""`boundary`: zoom into the outcome map's boundary level by level and estimate its box-counting
dimension with its uncertainty. Prints the study's size and an estimate of its time first; saves
each level as it finishes, so the same command run again resumes where it stopped."""

from __future__ import annotations

import hashlib
import sys

from l1viz.cli.arguments import finish, finite_float, print_json, whole_number
from l1viz.cli.place import add_place_arguments, study_place
from l1viz.cli.sweep import add_map_arguments, map_settings
from l1viz.engine.jsontext import dumps
from l1viz.study.cluster.tiles import CELL_STEPS_PER_CORE_SECOND
from l1viz.study.map import SweepSettings
from l1viz.study.map.level_store import LevelStore
from l1viz.study.map.zoom_levels import MAX_LEVELS, BoundarySettings, Level, measure_boundary


def add_parser(commands):
    defaults = BoundarySettings(SweepSettings())
    boundary = commands.add_parser(
        "boundary", help="zoom into the map's boundary level by level; its box-counting dimension"
    )
    add_map_arguments(boundary)
    boundary.add_argument(
        "--levels",
        type=whole_number,
        default=defaults.levels,
        help=f"zoom levels, the whole map first (1..{MAX_LEVELS})",
    )
    boundary.add_argument(
        "--zoom",
        type=finite_float,
        default=defaults.zoom,
        help="each level's box is this many times narrower on each axis",
    )
    boundary.add_argument(
        "--save",
        metavar="DIR",
        help="where the levels are saved as they finish (default: boundary-<settings' hash>)",
    )
    add_place_arguments(boundary)
    boundary.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return finish(boundary, run)


def run(args):
    settings = BoundarySettings(map_settings(args), levels=args.levels, zoom=args.zoom)
    store = LevelStore(args.save or default_directory(settings), settings)
    done = store.load()
    with study_place(args) as study:  # the plan and each level on stderr, with --json too
        print(plan_text(settings, done, study.runner.cores, store.directory), file=sys.stderr)

        def on_level(level: Level) -> None:
            store.save(level)
            print(level_text(level), file=sys.stderr)

        runner = _Reporting(study.runner, study.progress, first_level=len(done))
        result = measure_boundary(settings, runner, done, on_level)
    if args.json:
        print_json(result.to_json())
        return
    for level in result.levels:
        print(level_text(level))
    if result.stopped:
        print(f"stopped early: {result.stopped}")
    print(f"box-counting dimension over {len(result.levels)} levels: {result.estimate()}")


class _Reporting:
    """The runner, its progress also shown as the level's share done (the phase bar)."""

    def __init__(self, runner, progress, first_level: int):
        self.runner, self.progress, self.level = runner, progress, first_level
        self.where, self.cores = runner.where, runner.cores

    def run(self, batches, on_ended, on_progress=None):
        label = f"Level {self.level}"
        self.level += 1

        def report(done: float) -> None:
            self.progress(done, label)
            if on_progress:
                on_progress(done)

        self.runner.run(batches, on_ended, report)


def default_directory(settings: BoundarySettings) -> str:
    digest = hashlib.sha256(dumps(settings.identity(), sort_keys=True).encode()).hexdigest()
    return f"boundary-{digest[:10]}"


def plan_text(settings: BoundarySettings, done: tuple, cores: int, directory) -> str:
    start, left = settings.start, settings.levels - len(done)
    model_steps, cell_steps = settings.budget(left), settings.budget_cell_steps(left)
    seconds = cell_steps / (CELL_STEPS_PER_CORE_SECOND * max(cores, 1))
    lines = [
        f"boundary study: {settings.levels} levels of a {start.grid} × {start.grid} map × "
        f"{start.seeds} seeds × {start.steps:,} steps, saved in {directory}",
    ]
    if done:
        lines.append(f"resuming: levels 0..{len(done) - 1} already measured")
    if not left:
        return "\n".join(lines)
    lines.append(
        f"to train: up to {model_steps:.3g} model-steps, up to {duration(seconds)} on {cores} "
        f"cores (runs that end early cost less)"
    )
    return "\n".join(lines)


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def level_text(level: Level) -> str:
    s = level.settings
    return (
        f"level {level.index}: {s.x} {s.x_range[0]:.6g}..{s.x_range[1]:.6g}, "
        f"{s.y} {s.y_range[0]:.6g}..{s.y_range[1]:.6g}: dimension {level.estimate()} "
        f"over {len(level.endings)} seeds ({level.seconds:.0f} s)"
    )
