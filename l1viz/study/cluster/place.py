"""Where studies run, as the user chose it: in this process (the default), on a `LocalCluster` of
N worker processes, or on a running Dask cluster by its scheduler's address. The CLI's
`--workers` / `--scheduler` and the environment (L1VIZ_WORKERS, L1VIZ_SCHEDULER; the dashboard
also reads them from `.streamlit/secrets.toml`) give it; no Dask is imported to read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from l1viz.engine.config import ConfigError, check_choice, check_int

SCHEDULER_VARIABLE = "L1VIZ_SCHEDULER"
WORKERS_VARIABLE = "L1VIZ_WORKERS"
MAX_LOCAL_WORKERS = 64
DEVICES = ("cpu", "cuda")
SCHEDULER_FORM = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


class ClusterError(RuntimeError):
    """The cluster cannot run the study; the message says why, in one line."""


@dataclass(frozen=True)
class Place:
    workers: int | None = None  # a LocalCluster of this many single-threaded processes
    scheduler: str | None = None  # tcp://host:port of a running cluster
    device: str = "cpu"  # cuda: tiles on the torch path, one per GPU worker at a time

    def __post_init__(self):
        if self.workers is not None and self.scheduler is not None:
            raise ConfigError("workers", "give --workers or --scheduler, not both")
        if self.workers is not None:
            check_int("workers", self.workers, 1, MAX_LOCAL_WORKERS)
        if self.scheduler is not None:
            object.__setattr__(self, "scheduler", scheduler_address(self.scheduler))
        check_choice("device", self.device, DEVICES)

    @property
    def in_process(self) -> bool:
        return self.workers is None and self.scheduler is None

    def __str__(self) -> str:
        if self.scheduler:
            return f"the Dask cluster at {self.scheduler}"
        if self.workers:
            processes = "process" if self.workers == 1 else "processes"
            return f"a local Dask cluster of {self.workers} worker {processes}"
        return "this process"


def scheduler_address(text: str) -> str:
    """`tcp://host:port` (or tls://), checked for its form only; a bare host:port gets tcp://."""
    address = text.strip()
    if "://" not in address:
        address = f"tcp://{address}"
    found = SCHEDULER_FORM.match(address)
    if not found or not 0 < int(found.group(3)) < 65536:
        raise ConfigError("scheduler", f"expected tcp://host:port, got {text!r}")
    return address


def place_from(
    workers: int | None = None,
    scheduler: str | None = None,
    device: str = "cpu",
    settings: Mapping[str, object] | None = None,
) -> Place:
    """The place given explicitly, else by `settings` (the environment, or the dashboard's
    secrets), else this process."""
    settings = settings or {}
    if workers is not None or scheduler is not None:
        return Place(workers, scheduler, device)
    address = _text(settings.get(SCHEDULER_VARIABLE))
    count = _text(settings.get(WORKERS_VARIABLE))
    try:
        return Place(_count(count) if count and not address else None, address or None, device)
    except ConfigError as error:
        variable = SCHEDULER_VARIABLE if error.field == "scheduler" else WORKERS_VARIABLE
        raise ConfigError(error.field, f"{variable}: {str(error).split(': ', 1)[1]}") from None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError("workers", f"must be a whole number, got {text!r}") from None
