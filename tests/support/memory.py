"""Resident memory of the processes a test started: flat across a fault and its recovery.

`Memory(processes)` samples the RSS of every process `processes` started and of everything each
forked (uvicorn's workers, Celery's pool), by PID: `before()` once the stack is warm, `after()`
once it has recovered; `figures()` is the line a test prints and `assert_flat()` fails when a
process that lived through both samples grew more than the bound. A process that died or was
started meanwhile (a killed worker and its replacement) is listed, not compared: a new process
has no "before".

Growth is counted from the process's own first sample, or from its siblings' highest (processes
of the same program and role: uvicorn's workers, Celery's pool processes) when that is higher.
Siblings run the same code on the same kind of work, so they settle at one plateau; one that had
not yet served every kind of request or task when it was first sampled (a pool process that had
run only the light jobs: 95 MB beside its sibling's 115) climbs to that plateau, which is warm-up,
not a leak. A leak grows every process past it.

What is sampled is a process's anonymous resident memory (RssAnon in /proc/PID/status: heap, the
allocators' arenas, thread stacks), where a leak lives. File-backed resident pages are left out: a
shared library's code is paged in the first time a feature runs (a web worker that takes over the
feed job starts the tick recorder, and Arrow's Parquet, JSON and zstd code adds ~45 MB of it
once), and those pages are shared and reclaimable, never a leak.

The bound, RSS_BOUND_MB per process, is the README's ("Failure modes", flat memory): the leak it
guards against grew a web worker by ~17 KB a request (hundreds of MB in a fault test's load),
while a healthy process settling after a fault (a code path imported for the first time, the L1
cache filling, a pool reconnecting, allocator noise) moves by a few MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.processes import Processes

__all__ = ["RECORDER_START_MB", "RSS_BOUND_MB", "Memory", "rss_by_pid"]

RSS_BOUND_MB = 24.0
RECORDER_START_MB = 32.0  # see Memory._allowance
MB = 2**20


@dataclass(frozen=True)
class Sample:
    name: str  # the Processes name of the tree it belongs to ("web", "feed", ...)
    role: str  # "master" for the started process, else the child's command in short
    rss: int  # bytes


def _role(process: psutil.Process, root: int) -> str:
    if process.pid == root:
        return "master"
    try:
        line = " ".join(process.cmdline())
    except psutil.Error:
        return "child"
    if "resource_tracker" in line:
        return "resource tracker"
    if "multiprocessing" in line or "spawn" in line:
        return "worker"
    return "child"


def _anonymous_rss(process: psutil.Process) -> int:
    """RssAnon in bytes (Linux); the whole RSS where /proc does not say."""
    try:
        with Path(f"/proc/{process.pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return int(process.memory_info().rss)


def rss_by_pid(processes: Processes) -> dict[int, Sample]:
    """RSS of each live process `processes` started and of its descendants (zombies left out)."""
    samples: dict[int, Sample] = {}
    for name, popen in processes.started.items():
        if popen.poll() is not None:
            continue
        try:
            root = psutil.Process(popen.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in tree:
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue
                samples[process.pid] = Sample(name, _role(process, popen.pid), _anonymous_rss(process))
            except psutil.Error:  # gone meanwhile
                continue
    return samples


class Memory:
    """RSS before a fault and after its recovery, per process (see the module doc)."""

    def __init__(self, processes: Processes, bound_mb: float = RSS_BOUND_MB) -> None:
        self.processes = processes
        self.bound_mb = bound_mb
        self.start: dict[int, Sample] = {}
        self.end: dict[int, Sample] = {}

    def before(self) -> None:
        self.start = rss_by_pid(self.processes)
        assert self.start, "no process to measure"

    def after(self) -> None:
        self.end = rss_by_pid(self.processes)

    def baseline(self, pid: int) -> int:
        """What `pid` is measured from: its first sample, or its siblings' highest first sample."""
        own = self.start[pid]
        siblings = [s.rss for s in self.start.values() if (s.name, s.role) == (own.name, own.role)]
        return max([own.rss, *siblings])

    def growth_mb(self) -> dict[int, float]:
        """MB grown past its baseline by each process alive at both samples."""
        return {pid: (self.end[pid].rss - self.baseline(pid)) / MB for pid in self.start if pid in self.end}

    def figures(self) -> str:
        rows = []
        for pid, s in sorted(self.start.items(), key=lambda item: (item[1].name, item[0])):
            end = self.end.get(pid)
            if end is None:
                tail = "gone"
            else:
                base = self.baseline(pid)
                grown = end.rss - s.rss > MB  # only where it explains a growth
                past = f"; {(end.rss - base) / MB:+.1f} past its siblings" if base > s.rss and grown else ""
                tail = f"{end.rss / MB:.0f} MB ({(end.rss - s.rss) / MB:+.1f}{past})"
            rows.append(f"{s.name} {s.role} {pid}: {s.rss / MB:.0f} -> {tail}")
        new = [(pid, s) for pid, s in self.end.items() if pid not in self.start]
        rows += [f"{s.name} {s.role} {pid}: new, {s.rss / MB:.0f} MB" for pid, s in new]
        return f"anonymous RSS (bound +{self.bound_mb:g} MB a process): " + "; ".join(rows)

    def assert_flat(self) -> None:
        assert self.end, "after() was not called"
        grown = {pid: mb for pid, mb in self.growth_mb().items() if mb > self.bound_mb + self._allowance(pid)}
        assert not grown, f"processes grew over {self.bound_mb:g} MB: {grown}\n{self.figures()}"

    def _allowance(self, pid: int) -> float:
        """The feed process starts its tick recorder at its first flush (ARGUS_RECORDER_FLUSH_SECONDS
        after its first ticks): Arrow's writer and pools, +26-31 MB of anonymous memory once. Whether
        that lands before or after the first sample is timing, so the feed gets it on top of the bound;
        a recording process is flat afterwards (seen 191 -> 191 MB over a fault)."""
        sample = self.start[pid]
        return RECORDER_START_MB if (sample.name, sample.role) == ("feed", "master") else 0.0

    def check(self) -> str:
        """`after()`, then the figures (printed), then `assert_flat()`; the figures."""
        self.after()
        figures = self.figures()
        print(figures)  # noqa: T201  (the fault tests print their figures)
        self.assert_flat()
        return figures
