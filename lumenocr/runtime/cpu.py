"""How many CPUs this process may really use, and the thread counts that follow from it.

``os.cpu_count()`` and ONNX Runtime's default both count the machine's cores; a container
limited by a cgroup CPU quota (``docker --cpus 2`` on a 64-core host) or a process pinned by
an affinity mask (``taskset``) gets far less. Running more busy threads than that only adds
context switches and lock contention: on a 2-core machine 8 threads took almost three times
as long as 2, and 1000 threads made the machine unusable. So every thread count lumenocr
uses is capped here, and a request above the cap is lowered with one warning that says what
was used.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from lumenocr.errors import ConfigError

CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


class ThreadCapWarning(RuntimeWarning):
    """More threads were asked for than this process has CPUs; fewer were used."""


@dataclass(frozen=True)
class CpuBudget:
    """The CPUs this process may use and where that number comes from."""

    affinity: int  # CPUs in the affinity mask (or os.cpu_count() where there is none)
    quota: float | None  # cgroup CPU quota in CPUs (quota / period), None when unlimited

    @property
    def cpus(self) -> int:
        """Whole CPUs available: the affinity count, lowered to the quota (rounded up:
        a 1.5-CPU quota still lets two threads make progress)."""
        n = self.affinity if self.quota is None else min(self.affinity, math.ceil(self.quota))
        return max(1, n)

    def describe(self) -> str:
        parts = [f"{self.affinity} in the affinity mask"]
        if self.quota is not None:
            parts.append(f"a cgroup CPU quota of {self.quota:g}")
        return f"{self.cpus} CPU(s) ({', '.join(parts)})"


def _affinity() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _v2_quota(directory: Path) -> float | None:
    text = _read(directory / "cpu.max")  # "max 100000" or "200000 100000"
    if not text:
        return None
    fields = text.split()
    if fields[0] == "max" or len(fields) < 2:
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _v1_quota(directory: Path) -> float | None:
    q, p = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
    try:
        quota, period = int(q or ""), int(p or "")
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None  # quota -1: unlimited


def _own_cgroups(proc_cgroup: str) -> list[tuple[str, str]]:
    """``(controllers, path)`` lines of /proc/self/cgroup (``("", path)`` for cgroup v2)."""
    text = _read(Path(proc_cgroup)) or ""
    out = []
    for line in text.splitlines():
        fields = line.split(":", 2)
        if len(fields) == 3:
            out.append((fields[1], fields[2]))
    return out


def _with_ancestors(root: Path, rel: str) -> list[Path]:
    """``root/rel`` and each of its parents up to ``root`` (a limit on any ancestor applies)."""
    dirs = [root]
    parts = [p for p in rel.split("/") if p and p != ".."]
    for i in range(1, len(parts) + 1):
        dirs.append(root.joinpath(*parts[:i]))
    return dirs


def cgroup_cpu_quota(root: str = CGROUP_ROOT, proc_cgroup: str = PROC_CGROUP) -> float | None:
    """The tightest cgroup CPU quota on this process, in CPUs, or None when there is none.

    Reads cgroup v2 ``cpu.max`` and cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``,
    in this process's own cgroup and every ancestor (inside a container with its own cgroup
    namespace that is the mount root itself).
    """
    base = Path(root)
    found: list[float] = []
    own = _own_cgroups(proc_cgroup)
    v2_paths = [p for c, p in own if c == ""] or ["/"]
    for rel in v2_paths:
        found += [q for d in _with_ancestors(base, rel) if (q := _v2_quota(d)) is not None]
    v1_paths = [p for c, p in own if "cpu" in c.split(",")] or ["/"]
    for mount in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
        if (base / mount).is_dir():
            for rel in v1_paths:
                found += [q for d in _with_ancestors(base / mount, rel) if (q := _v1_quota(d)) is not None]
            break
    return min(found) if found else None


def cpu_budget() -> CpuBudget:
    """The CPUs this process may use (affinity mask and cgroup quota)."""
    return CpuBudget(_affinity(), cgroup_cpu_quota())


def available_cpus() -> int:
    """Whole CPUs this process may use: the affinity mask lowered to the cgroup CPU quota."""
    return cpu_budget().cpus


_warned: set[tuple[int, int]] = set()
_warned_lock = threading.Lock()


def resolve_threads(requested: int | None, processes: int = 1, what: str = "threads") -> int:
    """Threads per process to use when ``processes`` processes run side by side.

    ``None`` means as many as the CPUs allow. A request that would put more busy threads
    than CPUs on the machine is lowered to fit, with one :class:`ThreadCapWarning` per
    distinct request that says what was used.
    """
    if requested is not None and requested < 1:
        raise ConfigError(f"{what} must be >= 1, got {requested}")
    if processes < 1:
        raise ConfigError(f"processes must be >= 1, got {processes}")
    budget = cpu_budget()
    fair = max(1, budget.cpus // processes)
    if requested is None:
        return fair
    if requested <= fair:
        return requested
    key = (requested, processes)
    with _warned_lock:
        first = key not in _warned
        _warned.add(key)
    if first:
        across = f" in each of {processes} processes" if processes > 1 else ""
        warnings.warn(
            f"{what}={requested}{across} is more than this machine gives the process: "
            f"{budget.describe()}; using {fair} thread(s){across} (more would only slow it down)",
            ThreadCapWarning,
            stacklevel=2,
        )
    return fair


def intra_op_threads(requested: int | None) -> int | None:
    """Intra-op threads for one inference session: the request capped to the CPUs this
    process may use.

    ``None`` stays the engine's own choice (its physical cores) unless an affinity mask or a
    cgroup quota gives this process fewer CPUs than the machine has: neither ONNX Runtime nor
    OpenVINO reads the quota, so a 2-CPU container on a 64-core host would otherwise start
    32 busy threads.
    """
    if requested is None:
        cap = available_cpus()
        return cap if cap < (os.cpu_count() or cap) else None
    return resolve_threads(requested)
