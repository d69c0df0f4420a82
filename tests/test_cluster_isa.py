"""The kernel is built per machine with -march=native, and a cluster's machines need not share a
CPU: built for x86-64-v2 (SSE4.2, 4 lanes, no FMA instruction), x86-64-v3 (AVX2 and FMA, 8
lanes) and this machine's native set, it gives every model the same bits."""

import platform
from pathlib import Path

import pytest

from l1viz.engine.kernel import build, threads
from l1viz.study.runner import InProcess
from tests.cluster_support import bits, reported, study_batches

# A -march level is tried only where this CPU can run what it builds.
LEVELS = {"x86-64-v2": "sse4_2", "x86-64-v3": "avx2", "native": ""}


def runnable_levels() -> list[str]:
    flags = next(
        line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")
    ).split()
    return [level for level, needs in LEVELS.items() if not needs or needs in flags]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="-march levels name x86-64 CPUs")
def test_the_kernel_s_bits_do_not_depend_on_the_instruction_set(monkeypatch):
    found, lanes = {}, {}
    for level in runnable_levels():
        flags = tuple(f"-march={level}" if f.startswith("-march=") else f for f in build.FLAGS)
        monkeypatch.setattr(build, "FLAGS", flags)
        build.library.cache_clear()
        assert build.library() is not None, f"the kernel should build for {level}"
        lanes[level] = threads.lanes()
        found[level] = bits(reported(InProcess(), study_batches()))
    build.library.cache_clear()
    assert len(found) >= 2 and len(set(lanes.values())) >= 2, lanes
    reference = found["native"]
    assert all(each == reference for each in found.values())
