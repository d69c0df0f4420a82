"""Where the dashboard's studies run: the setting the CLI reads (L1VIZ_SCHEDULER, L1VIZ_WORKERS),
from the environment or else from the dashboard's secrets, opened once per server.

A place that cannot be used (a bad setting, Dask not installed, a scheduler that does not answer,
workers of another version) leaves the studies in this process, with the reason to show.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from l1viz.engine.config import ConfigError
from l1viz.study.cluster.place import (
    SCHEDULER_VARIABLE,
    WORKERS_VARIABLE,
    ClusterError,
    Place,
    place_from,
)
from l1viz.study.cluster.where import INSTALL_HINT
from l1viz.study.runner import InProcess, Runner

VARIABLES = (SCHEDULER_VARIABLE, WORKERS_VARIABLE)


@dataclass(frozen=True)
class StudyPlace:
    runner: Runner
    dashboard: str | None = None  # Dask's own dashboard
    problem: str | None = None  # why the place asked for is not used

    @property
    def where(self) -> str:
        return self.runner.where


def chosen_setting(environment: Mapping, secrets: Mapping) -> dict[str, str]:
    """The place variables from the environment if it sets any, else from the secrets."""
    for source in (environment, secrets):
        found = {name: str(source[name]) for name in VARIABLES if source.get(name)}
        if found:
            return found
    return {}


def open_study_place(setting: Mapping[str, str]) -> StudyPlace:
    try:
        place = place_from(settings=setting)
    except ConfigError as error:
        return StudyPlace(InProcess(), problem=str(error))
    if place.in_process:
        return StudyPlace(InProcess())
    try:
        return _on_cluster(place)
    except ClusterError as error:
        return StudyPlace(InProcess(), problem=str(error))


def _on_cluster(place: Place) -> StudyPlace:
    try:
        from l1viz.study.cluster.client import open_cluster
        from l1viz.study.cluster.dask_runner import DaskRunner
    except ImportError as error:
        raise ClusterError(f"Dask is needed to run on {place} ({error}): {INSTALL_HINT}") from None
    cluster = open_cluster(place)
    return StudyPlace(DaskRunner(cluster), cluster.dashboard)


class SharedPlace:
    """The server's one study place, opened by the first study that needs it (on a worker
    thread: connecting can take seconds, a page view must not wait for it)."""

    def __init__(self, setting: Mapping[str, str]):
        self.setting = dict(setting)
        self._lock = threading.Lock()
        self._opened: StudyPlace | None = None

    def get(self) -> StudyPlace:
        with self._lock:
            if self._opened is None:
                self._opened = open_study_place(self.setting)
            return self._opened

    def peek(self) -> StudyPlace | None:
        """The place once opened; None before."""
        return self._opened

    def asked(self) -> str:
        """The place the setting names, in words (what `get` will try)."""
        try:
            return str(place_from(settings=self.setting))
        except ConfigError as error:
            return f"this process ({error})"
