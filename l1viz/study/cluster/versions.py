"""The versions a worker must share with its client: l1viz's and torch's. A tile trained by
another version of either could end differently, so such a worker refuses it, naming both."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import torch


@dataclass(frozen=True)
class Versions:
    l1viz: str
    torch: str

    def __str__(self) -> str:
        return f"l1viz {self.l1viz}, torch {self.torch}"


class VersionMismatch(RuntimeError):
    """A worker whose versions differ from the client's."""

    def __init__(self, worker: Versions, client: Versions, where: str = "a worker"):
        super().__init__(f"{where} has {worker} but this client has {client}: install the same")
        self.worker, self.client, self.where = worker, client, where

    def __reduce__(self):  # raised on a worker, rebuilt on the client
        return VersionMismatch, (self.worker, self.client, self.where)


def local_versions() -> Versions:
    try:
        own = version("l1viz")
    except PackageNotFoundError:  # run from a source tree that was never installed
        own = "unknown"
    return Versions(own, torch.__version__)


def check_versions(client: Versions, where: str = "a worker") -> None:
    """Raise VersionMismatch when this process's versions are not the client's."""
    here = local_versions()
    if here != client:
        raise VersionMismatch(here, client, where)
