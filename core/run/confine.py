"""The process layer of the sandbox: what a learner's draft may do even if it escaped the language layer.

Applied by the sandbox worker (``core.run.sandbox_worker``) once torch is imported and warm, just
before the draft runs; none of it can be undone by the process itself:

- resource limits: CPU seconds (the kernel sends SIGXCPU past them), address space (a
  ``torch.ones(2 * 10**9)`` fails to allocate instead of filling the host), no file may grow
  (RLIMIT_FSIZE 0), no core dumps, no new processes for an unprivileged user;
- Landlock (Linux 5.13 and later): the file system becomes read-only for this process: no file
  written, created, removed or renamed anywhere;
- seccomp (libseccomp): ``execve``, ``fork``, new processes, new sockets and connections, raising
  limits, signals to other processes and tracing them fail with EPERM. Threads may still be
  started (torch's own);
- where seccomp is not available and the worker runs as root (a container's default), root's
  privileges are dropped instead (to the user ``nobody``): no signal to the server, no limit
  raised again. Not both: as ``nobody`` the process could no longer read an interpreter installed
  in root's home, and torch still loads parts of itself as a draft first uses them.

Each step that the kernel or the machine does not offer is skipped and named in what
``confine`` returns, so the worker can say what held.
"""

from __future__ import annotations

import errno
import os
import resource

# Imported now, while files can still be written: finding libseccomp writes a temporary file.
try:
    import pyseccomp as seccomp
except (ImportError, OSError):  # no libseccomp on this machine: confine() says seccomp is missing
    seccomp = None
from landlock import Ruleset
from landlock.plumbing import FSAccess

CLONE_THREAD = 0x00010000
NOBODY = 65534

# System calls the draft's process never needs, refused with EPERM (a PermissionError in Python).
REFUSED_CALLS = [
    "execve",
    "execveat",
    "fork",
    "vfork",
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "ptrace",
    "setrlimit",
    "prlimit64",
    "kill",
    "tkill",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "unshare",
    "setns",
]


def _address_space() -> int:
    """This process's mapped address space now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    """CPU seconds from now, address space above what is mapped now, no file growth, no core, no children."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime) + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))  # SIGXCPU at the soft limit, SIGKILL at the hard
    space = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # not enforced for root: seccomp refuses fork instead


def read_only_files() -> None:
    """Landlock: every file readable (torch loads parts of itself lazily), nothing writable or executable."""
    ruleset = Ruleset()  # handles every file-system right Landlock knows; each is denied unless allowed
    ruleset.allow("/", rules=FSAccess.READ_FILE | FSAccess.READ_DIR)
    ruleset.apply()


def drop_root() -> None:
    """Run as ``nobody`` when started as root (a container's default)."""
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def refuse_system_calls() -> None:
    """seccomp: ``REFUSED_CALLS`` and clone() of a new process (not a thread) fail with EPERM."""
    if seccomp is None:
        raise OSError("libseccomp is not installed")
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    refuse = seccomp.ERRNO(errno.EPERM)
    for call in REFUSED_CALLS:
        rules.add_rule(refuse, call)
    rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # glibc then falls back to clone, filtered above
    rules.add_rule(refuse, "tgkill", seccomp.Arg(0, seccomp.NE, os.getpid()))  # a signal to itself only
    rules.load()


def confine(cpu_seconds: int, memory_bytes: int) -> list[str]:
    """Apply every layer this machine offers; the names of those it could not."""
    limit_resources(cpu_seconds, memory_bytes)
    missing = []
    for name, layer in (("Landlock", read_only_files), ("seccomp", refuse_system_calls)):
        try:
            layer()
        except Exception:  # an older kernel, or no libseccomp: the other layers still hold
            missing.append(name)
    if "seccomp" in missing:
        try:
            drop_root()
        except OSError:
            missing.append("unprivileged user")
    return missing
