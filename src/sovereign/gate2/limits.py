"""What a Gate 2 re-run may use, and which limit stopped one that did not finish.

The limits are the verifier's (config `gate2.limits`, or the command's flags; the schema states
every default), never the bundle's: a bundle cannot raise what it is allowed.

Each limit is enforced where it can be enforced exactly:

* wall time, total resident memory and total CPU time by the verifier, which watches the
  sandbox and kills it (`watch.run_sealed`);
* one process's CPU time and address space, the number of processes, open files and the size
  of one file by the kernel (`setrlimit`, soft and hard, set inside the sandbox before the
  bundle's code starts);
* bytes written by the size of the sandbox's only writable file system (a tmpfs).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from ..config.checks import load_schema

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    wall_seconds: float
    cpu_seconds: int
    memory_mb: int
    memory_mb_virtual: int
    processes: int
    written_mb: int

    @classmethod
    def defaults(cls) -> Limits:
        return cls.from_config({})

    @classmethod
    def from_config(cls, limits: dict[str, Any]) -> Limits:
        """From `gate2.limits` (missing keys: the schema's defaults)."""
        props = load_schema()["properties"]["gate2"]["properties"]["limits"]["properties"]
        return cls(**{name: limits.get(name, prop["default"]) for name, prop in props.items()})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rlimits(self) -> dict[str, list[int]]:
        """What the driver sets inside the sandbox (`resource` names -> [soft, hard]). Soft and
        hard are the same but for CPU time: at the soft limit the kernel sends SIGXCPU, which
        names the limit; a process that ignores it is killed one second later."""
        return {
            "RLIMIT_CPU": [int(self.cpu_seconds), int(self.cpu_seconds) + 1],
            "RLIMIT_AS": [int(self.memory_mb_virtual) * MIB] * 2,
            "RLIMIT_NPROC": [int(self.processes)] * 2,
            "RLIMIT_FSIZE": [int(self.written_mb) * MIB] * 2,
            "RLIMIT_CORE": [0, 0],  # a crash leaves no core file (and no bytes) behind
            "RLIMIT_NOFILE": [1024, 1024],  # pipes and open files a process may hold
        }


# What a process prints when the kernel refuses it at a limit. A process that hit one prints its
# sign first; what follows (a failed rule, a broken pipe) is the consequence.
_SIGNS = (
    (
        "memory",
        re.compile(
            r"MemoryError|std::bad_alloc|Cannot allocate memory|out of memory|"
            r"Failed to allocate memory",
            re.I,
        ),
    ),
    (
        "processes",
        re.compile(
            r"BlockingIOError|Resource temporarily unavailable|can't start new thread|"
            r"fork: retry|Errno 11\]",
            re.I,
        ),
    ),
    ("written", re.compile(r"No space left on device|File too large|Errno 2[78]\]")),
    ("cpu", re.compile(r"SIGXCPU|CPU time limit exceeded|signal 24\b|status -24\b|code -24\b")),
)


def limit_hit(stderr: str) -> str | None:
    """The limit whose sign comes first in a failed re-run's output (None: no limit's)."""
    found = [(m.start(), name) for name, sign in _SIGNS if (m := sign.search(stderr))]
    return min(found)[1] if found else None


def describe(limit: str, limits: Limits) -> str:
    """One limit in words, with its value, for the verdict's reason."""
    return {
        "wall": f"the wall-time limit ({limits.wall_seconds:g} s)",
        "memory": f"the memory limit ({limits.memory_mb} MiB resident, "
        f"{limits.memory_mb_virtual} MiB of address space a process)",
        "processes": f"the process limit ({limits.processes} processes and threads)",
        "written": f"the bytes-written limit ({limits.written_mb} MiB)",
        "cpu": f"the CPU-time limit ({limits.cpu_seconds} s)",
    }[limit]
