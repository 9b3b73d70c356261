"""A seccomp-BPF filter installed in the learner's process just before its code runs.

Threat model for this part: namespaces and a per-job uid already separate jobs, but some
kernel interfaces cross those lines or are large attack surfaces on their own. The filter
denies (with EPERM, so code sees an ordinary error) every call that lets one process read or
steer another (``ptrace``, ``process_vm_readv/writev``, ``pidfd_getfd``, ``kcmp``,
``process_madvise``), the kernel keyring (``keyctl``, ``add_key``, ``request_key``: keys of a
shared uid outlive a job and were seen to carry data between two sandboxes), new namespaces
and mounts (``unshare``, ``setns``, ``clone`` with any ``CLONE_NEW*`` flag, the mount API),
and interfaces with a history of exploits or host effects (``bpf``, ``perf_event_open``,
``userfaultfd``, ``io_uring_*`` whose queued operations bypass this filter, kernel modules,
``kexec``, ``reboot``, clocks, swap, ``syslog``, file handles). ``clone3`` answers ENOSYS
because its flags live in memory that BPF cannot read; glibc then falls back to ``clone``,
whose flags are checked. Sockets are limited to AF_UNIX and AF_INET/AF_INET6 (useless anyway
in a network namespace without interfaces): netlink, packet, vsock, AF_ALG and the rest are
refused. Any other architecture than x86-64, including the x32 ABI, kills the process.

The filter is hand-written (no libseccomp binding is needed): it is a short linear list.
"""

from __future__ import annotations

import ctypes
import errno
import platform

from . import syscalls

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# x86-64 numbers, from asm/unistd_64.h.
DENIED_SYSCALLS = {
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "pidfd_getfd": 438,
    "process_madvise": 440,
    "kcmp": 312,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "mount_setattr": 442,
    "move_mount": 429,
    "open_tree": 428,
    "open_tree_attr": 467,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "reboot": 169,
    "swapon": 167,
    "swapoff": 168,
    "acct": 163,
    "settimeofday": 164,
    "clock_settime": 227,
    "clock_adjtime": 305,
    "adjtimex": 159,
    "syslog": 103,
    "quotactl": 179,
    "quotactl_fd": 443,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "fanotify_init": 300,
    "iopl": 172,
    "ioperm": 173,
    "modify_ldt": 154,
    "uselib": 134,
    "vhangup": 153,
    "lookup_dcookie": 212,
    "memfd_secret": 447,
}
SYS_CLONE = 56
SYS_CLONE3 = 435
SYS_SOCKET = 41
SYS_SOCKETPAIR = 53
ALLOWED_SOCKET_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
CLONE_NAMESPACE_FLAGS = (
    syscalls.CLONE_NEWNS
    | syscalls.CLONE_NEWCGROUP
    | syscalls.CLONE_NEWUTS
    | syscalls.CLONE_NEWIPC
    | syscalls.CLONE_NEWUSER
    | syscalls.CLONE_NEWPID
    | syscalls.CLONE_NEWNET
)

# BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
OFFSET_NR = 0
OFFSET_ARCH = 4
OFFSET_ARG0_LOW = 16  # args[0], low 32 bits on little-endian


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _stmt(code: int, k: int) -> tuple[int, int, int, int]:
    return (code, 0, 0, k)


def _jump(code: int, k: int, jt: int, jf: int) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def build_filter() -> list[tuple[int, int, int, int]]:
    """The program as (code, jt, jf, k) tuples; exposed for tests."""
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    prog = [
        _stmt(BPF_LD_W_ABS, OFFSET_ARCH),
        _jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        _stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
        _stmt(BPF_LD_W_ABS, OFFSET_NR),
        _jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1),
        _stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    ]
    for number in sorted(DENIED_SYSCALLS.values()):
        prog.append(_jump(BPF_JEQ_K, number, 0, 1))
        prog.append(_stmt(BPF_RET_K, deny))
    prog += [
        _jump(BPF_JEQ_K, SYS_CLONE3, 0, 1),
        _stmt(BPF_RET_K, SECCOMP_RET_ERRNO | errno.ENOSYS),
        # clone: refuse any namespace flag in args[0].
        _jump(BPF_JEQ_K, SYS_CLONE, 0, 4),
        _stmt(BPF_LD_W_ABS, OFFSET_ARG0_LOW),
        _jump(BPF_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1),
        _stmt(BPF_RET_K, deny),
        _stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
    ]
    # socket / socketpair: only the families in ALLOWED_SOCKET_FAMILIES.
    n_families = len(ALLOWED_SOCKET_FAMILIES)
    prog += [
        _jump(BPF_JEQ_K, SYS_SOCKET, 1, 0),
        _jump(BPF_JEQ_K, SYS_SOCKETPAIR, 0, 2 + n_families + 1),
        _stmt(BPF_LD_W_ABS, OFFSET_ARG0_LOW),
    ]
    for index, family in enumerate(ALLOWED_SOCKET_FAMILIES):
        # On a match jump to the ALLOW below the family list and the refusal.
        prog.append(_jump(BPF_JEQ_K, family, n_families - index, 0))
    prog += [
        _stmt(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EAFNOSUPPORT),
        _stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
        _stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
    ]
    return prog


def install() -> None:
    """Install the filter in the calling (single-threaded) process; irreversible."""
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, "the seccomp filter is written for x86-64 only")
    prog = build_filter()
    array = (_SockFilter * len(prog))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in prog])
    fprog = _SockFprog(len(prog), array)
    # Required for an unprivileged filter, and it stops setuid binaries regaining power.
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
    syscalls.prctl_pointer(
        syscalls.PR_SET_SECCOMP,
        syscalls.SECCOMP_MODE_FILTER,
        ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p),
    )
