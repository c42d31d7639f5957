"""The Gate 2 sandbox's system-call filter (a classic BPF program, loaded by `bwrap --seccomp`).

It refuses what would let a re-run step around the sandbox's limits:

* new user namespaces (`unshare`, `clone` with CLONE_NEWUSER, `setns`): inside one, a process
  gets capabilities again, and could mount a tmpfs that no limit caps; `clone3` answers
  "not implemented", so the C library falls back to `clone`, whose flags can be checked;
* memory that no process's resident size shows: `memfd_create` and System V shared memory
  (`shmget`);
* on x86-64, the x32 and 32-bit system-call tables, where the numbers differ.

Anything else is allowed: the sandbox's namespaces and limits do the rest.
"""

from __future__ import annotations

import errno
import platform
import struct

# BPF instruction classes and fields (linux/filter.h, linux/seccomp.h)
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian: arg0's low word)
CLONE_NEWUSER = 0x10000000
X32_BIT = 0x40000000

# (audit arch, syscall numbers) of the architectures the filter knows
_ARCHES = {
    "x86_64": (
        0xC000003E,
        {
            "unshare": 272,
            "setns": 308,
            "clone": 56,
            "clone3": 435,
            "memfd_create": 319,
            "shmget": 29,
        },
    ),  # fmt: skip
    "aarch64": (
        0xC00000B7,
        {
            "unshare": 97,
            "setns": 268,
            "clone": 220,
            "clone3": 435,
            "memfd_create": 279,
            "shmget": 194,
        },
    ),  # fmt: skip
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter for this machine's architecture (or `machine`), None where it is unknown."""
    known = _ARCHES.get(machine or platform.machine())
    if known is None:
        return None
    arch, nr = known
    deny = _ERRNO | errno.EPERM
    nosys = _ERRNO | errno.ENOSYS
    refused = ("unshare", "setns", "memfd_create", "shmget")
    body = [(_LD_W_ABS, 0, 0, _ARCH), ("arch",), (_LD_W_ABS, 0, 0, _NR)]
    if arch == _ARCHES["x86_64"][0]:
        body.append(("x32",))
    body += [("deny_if", nr[name]) for name in refused]
    body += [("nosys_if", nr["clone3"]), ("clone", nr["clone"]), (_RET, 0, 0, _ALLOW)]
    body += [(_LD_W_ABS, 0, 0, _ARG0), ("newuser",), (_RET, 0, 0, _ALLOW)]
    body += [(_RET, 0, 0, deny), (_RET, 0, 0, nosys)]
    # resolve the symbolic jumps: every check jumps forward to the closing deny / nosys returns
    n = len(body)
    deny_at, nosys_at, clone_check = n - 2, n - 1, body.index((_LD_W_ABS, 0, 0, _ARG0))
    out = []
    for at, item in enumerate(body):
        deny_jump, nosys_jump, clone_jump = (t - at - 1 for t in (deny_at, nosys_at, clone_check))
        match item:  # (BPF jumps count from the next instruction)
            case ("arch",):
                out.append(_insn(_JEQ, 0, deny_jump, arch))
            case ("x32",):
                out.append(_insn(_JGE, deny_jump, 0, X32_BIT))
            case ("deny_if", number):
                out.append(_insn(_JEQ, deny_jump, 0, number))
            case ("nosys_if", number):
                out.append(_insn(_JEQ, nosys_jump, 0, number))
            case ("clone", number):
                out.append(_insn(_JEQ, clone_jump, 0, number))
            case ("newuser",):
                out.append(_insn(_JSET, deny_jump, 0, CLONE_NEWUSER))
            case (code, jt, jf, k):
                out.append(_insn(code, jt, jf, k))
    return b"".join(out)
