"""A seccomp-BPF allow-list installed in the learner's process just before its code runs.

Threat model for this part: namespaces and a per-job uid already separate jobs, but the kernel
is one large attack surface shared with the worker and every other job, and one process in
the job's pid namespace is trusted: its init (pid 1). The filter therefore ALLOWS only the
system calls that ordinary Python, NumPy, PyTorch, torchvision, ONNX and onnxruntime code
makes, found by tracing the labs' real jobs (reference, wrong and starter solutions, a
training loop with an ONNX export and onnxruntime, threads, subprocesses, fork and spawn
multiprocessing pools, DataLoader workers) under strace, and cross-checked against Docker's
default profile: every call allowed here is also allowed to an unprivileged Docker container.
Everything else is refused with ENOSYS (so that libraries take their "old kernel" fallbacks,
as glibc does for clone3), and these with EPERM, as an ordinary "not permitted":

* reading or steering another process: ptrace, process_vm_readv/writev, pidfd_open,
  pidfd_getfd, pidfd_send_signal, process_madvise, process_mrelease, kcmp, get_robust_list;
* the kernel keyring (keyctl, add_key, request_key: keys of a shared uid outlive a job and
  were seen to carry data between two sandboxes);
* new namespaces and mounts (unshare, setns, clone with a CLONE_NEW* flag, the mount API,
  pivot_root, chroot), sethostname;
* NUMA placement of memory (mbind, set_mempolicy, set_mempolicy_home_node, migrate_pages,
  move_pages, get_mempolicy): it can pin pages on a node shared with the worker, and Docker
  refuses it to containers without CAP_SYS_NICE; OpenBLAS calls mbind in a fresh interpreter
  and ignores the refusal;
* interfaces with a history of exploits or of host-wide effects: bpf, perf_event_open,
  userfaultfd, io_uring_* (its queued operations bypass this filter), the AIO calls
  (io_setup...), vmsplice, memfd_secret, kernel modules, kexec, reboot, clocks, swap, acct,
  syslog, quotas, file handles, fanotify, iopl/ioperm/modify_ldt, sync/syncfs (they flush
  the host's file systems), listmount/statmount (the host's mount table), mincore/cachestat
  (page-cache probes of files shared with other jobs), SysV IPC and POSIX message queues.

Argument checks (64-bit registers are compared on their low 32 bits where the kernel reads an
``int``, so garbage in the upper half cannot slip a value past the filter):

* a call aimed at pid 1, the job's trusted init (kill, tkill, tgkill, rt_sigqueueinfo,
  rt_tgsigqueueinfo, prlimit64, ptrace, process_vm_readv/writev, pidfd_open), KILLS the
  calling process with SIGSYS: the init cannot be driven by the job anyway (it never shares
  the job's uid and keeps no signal handler, see child.py), and the SIGSYS death is how the
  init learns that the job attacked it (the outcome's ``limit_hit`` is then "violation");
* clone with any namespace flag: EPERM; clone3: ENOSYS (its flags live in memory that BPF
  cannot read; glibc falls back to clone, whose flags are checked);
* socket and socketpair: AF_UNIX, AF_INET, AF_INET6 only (useless anyway in a network
  namespace without interfaces); any other family: EAFNOSUPPORT;
* personality: only PER_LINUX and the query (0xffffffff); ADDR_NO_RANDOMIZE,
  READ_IMPLIES_EXEC and every other persona are refused (ENOSYS).

Families allowed without argument checks, and why each is safe here: file and directory calls
(the job sees a read-only root, its own tmpfs and a few /dev nodes; permissions and the
read-only mounts do the rest); memory management of its own address space (the cgroup bounds
what it can allocate); its own processes, threads, signals (to any pid but 1: other pids in
the namespace are the job's own), rlimits (it can lower its own; raising needs privilege),
scheduling and priorities (raising needs CAP_SYS_NICE, which it lacks); identity calls (its
user namespace maps one uid only); time, polling, eventfd/timerfd/signalfd, pipes, sockets as
above, getrandom, inotify, seccomp and landlock (they only restrict their caller); ioctl (the
reachable devices are /dev/null, zero, full, random, urandom, pipes, sockets in an empty
network namespace and tmpfs files; no terminal exists, so TIOCSTI has no target; on CUDA
workers the /dev/nvidia* nodes need their driver's ioctls, with mmap and mprotect on those
nodes, and CUDA runs in Docker under the same refusals as here, NUMA calls included).

Any other architecture than x86-64, the x32 ABI (syscall numbers with bit 30 set) and the
32-bit ``int 0x80`` entry included, kills the process (SIGSYS), which also counts as a
violation.

The program is compiled by libseccomp (through ``pyseccomp``), which builds the binary search
over syscall numbers, the 64-bit argument comparisons and the architecture checks; it is
compiled once per zygote (``program``) and each job only loads the bytes (``install``), so a
job pays no more than it did for the hand-written filter before.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from typing import TYPE_CHECKING

from . import syscalls

if TYPE_CHECKING:
    import pyseccomp

# x86-64 numbers (asm/unistd_64.h): libseccomp's own table may predate the newest calls, and
# the filter is for x86-64 only (``install`` refuses elsewhere).
ALLOWED_SYSCALLS: dict[str, int] = {
    # files, directories, descriptors
    "read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "fstat": 5, "lstat": 6,
    "poll": 7, "lseek": 8, "pread64": 17, "pwrite64": 18, "readv": 19, "writev": 20,
    "access": 21, "pipe": 22, "select": 23, "dup": 32, "dup2": 33, "sendfile": 40,
    "fcntl": 72, "flock": 73, "fsync": 74, "fdatasync": 75, "truncate": 76,
    "ftruncate": 77, "getdents": 78, "getcwd": 79, "chdir": 80, "fchdir": 81,
    "rename": 82, "mkdir": 83, "rmdir": 84, "creat": 85, "link": 86, "unlink": 87,
    "symlink": 88, "readlink": 89, "chmod": 90, "fchmod": 91, "chown": 92, "fchown": 93,
    "lchown": 94, "umask": 95, "utime": 132, "mknod": 133, "statfs": 137, "fstatfs": 138,
    "readahead": 187, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "getxattr": 191, "lgetxattr": 192, "fgetxattr": 193, "listxattr": 194,
    "llistxattr": 195, "flistxattr": 196, "removexattr": 197, "lremovexattr": 198,
    "fremovexattr": 199, "getdents64": 217, "fadvise64": 221, "utimes": 235,
    "inotify_init": 253, "inotify_add_watch": 254, "inotify_rm_watch": 255,
    "openat": 257, "mkdirat": 258, "mknodat": 259, "fchownat": 260, "futimesat": 261,
    "newfstatat": 262, "unlinkat": 263, "renameat": 264, "linkat": 265, "symlinkat": 266,
    "readlinkat": 267, "fchmodat": 268, "faccessat": 269, "pselect6": 270, "ppoll": 271,
    "splice": 275, "tee": 276, "sync_file_range": 277, "utimensat": 280,
    "fallocate": 285, "dup3": 292, "pipe2": 293, "inotify_init1": 294, "preadv": 295,
    "pwritev": 296, "renameat2": 316, "memfd_create": 319, "copy_file_range": 326,
    "preadv2": 327, "pwritev2": 328, "statx": 332, "close_range": 436, "openat2": 437,
    "faccessat2": 439, "fchmodat2": 452, "ioctl": 16,
    # memory of its own address space
    "mmap": 9, "mprotect": 10, "munmap": 11, "brk": 12, "mremap": 25, "msync": 26,
    "madvise": 28, "mlock": 149, "munlock": 150, "mlockall": 151, "munlockall": 152,
    "membarrier": 324, "mlock2": 325, "pkey_mprotect": 329, "pkey_alloc": 330,
    "pkey_free": 331, "map_shadow_stack": 453, "mseal": 462,
    # its own processes and threads
    "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "exit": 60, "wait4": 61,
    "execveat": 322, "exit_group": 231, "waitid": 247, "set_tid_address": 218,
    "set_robust_list": 273, "rseq": 334, "futex": 202, "futex_waitv": 449,
    "futex_wake": 454, "futex_wait": 455, "futex_requeue": 456, "arch_prctl": 158,
    "prctl": 157, "getpid": 39, "getppid": 110, "gettid": 186, "getpgid": 121,
    "getpgrp": 111, "getsid": 124, "setsid": 112, "setpgid": 109, "getrusage": 98,
    "times": 100, "sysinfo": 99, "uname": 63, "getrlimit": 97, "setrlimit": 160,
    "prlimit64": 302, "getpriority": 140, "setpriority": 141, "sched_yield": 24,
    "sched_setparam": 142, "sched_getparam": 143, "sched_setscheduler": 144,
    "sched_getscheduler": 145, "sched_get_priority_max": 146, "sched_get_priority_min": 147,
    "sched_rr_get_interval": 148, "sched_setaffinity": 203, "sched_getaffinity": 204,
    "sched_setattr": 314, "sched_getattr": 315, "ioprio_set": 251, "ioprio_get": 252,
    "getcpu": 309, "seccomp": 317, "landlock_create_ruleset": 444,
    "landlock_add_rule": 445, "landlock_restrict_self": 446, "personality": 135,
    # identity (one uid is mapped in the job's user namespace) and capabilities (drop only)
    "getuid": 102, "getgid": 104, "setuid": 105, "setgid": 106, "geteuid": 107,
    "getegid": 108, "setreuid": 113, "setregid": 114, "getgroups": 115, "setgroups": 116,
    "setresuid": 117, "getresuid": 118, "setresgid": 119, "getresgid": 120,
    "setfsuid": 122, "setfsgid": 123, "capget": 125, "capset": 126,
    # signals (pid 1 excepted, see below) and timers
    "rt_sigaction": 13, "rt_sigprocmask": 14, "rt_sigreturn": 15, "rt_sigpending": 127,
    "rt_sigtimedwait": 128, "rt_sigsuspend": 130, "sigaltstack": 131, "pause": 34,
    "alarm": 37, "getitimer": 36, "setitimer": 38, "kill": 62, "tkill": 200,
    "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "timer_create": 222, "timer_settime": 223, "timer_gettime": 224,
    "timer_getoverrun": 225, "timer_delete": 226, "signalfd": 282, "signalfd4": 289,
    "restart_syscall": 219,
    # time
    "nanosleep": 35, "gettimeofday": 96, "time": 201, "clock_gettime": 228,
    "clock_getres": 229, "clock_nanosleep": 230,
    # waiting for events
    "epoll_create": 213, "epoll_wait": 232, "epoll_ctl": 233, "epoll_pwait": 281,
    "epoll_create1": 291, "epoll_pwait2": 441, "eventfd": 284, "eventfd2": 290,
    "timerfd_create": 283, "timerfd_settime": 286, "timerfd_gettime": 287,
    # sockets (families checked below)
    "socket": 41, "connect": 42, "accept": 43, "sendto": 44, "recvfrom": 45,
    "sendmsg": 46, "recvmsg": 47, "shutdown": 48, "bind": 49, "listen": 50,
    "getsockname": 51, "getpeername": 52, "socketpair": 53, "setsockopt": 54,
    "getsockopt": 55, "accept4": 288, "recvmmsg": 299, "sendmmsg": 307,
    # randomness
    "getrandom": 318,
}  # fmt: skip

# Refused with EPERM (see the module docstring for why); anything neither here nor above
# gets ENOSYS.
DENIED_SYSCALLS: dict[str, int] = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_open": 434,
    "pidfd_getfd": 438, "pidfd_send_signal": 424, "process_madvise": 440,
    "process_mrelease": 448, "kcmp": 312, "get_robust_list": 274,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
    "chroot": 161, "mount_setattr": 442, "move_mount": 429, "open_tree": 428,
    "open_tree_attr": 467, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "sethostname": 170, "setdomainname": 171,
    "mbind": 237, "set_mempolicy": 238, "get_mempolicy": 239, "migrate_pages": 256,
    "move_pages": 279, "set_mempolicy_home_node": 450,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "io_setup": 206, "io_destroy": 207,
    "io_getevents": 208, "io_submit": 209, "io_cancel": 210, "io_pgetevents": 333,
    "vmsplice": 278, "memfd_secret": 447,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
    "syslog": 103, "quotactl": 179, "quotactl_fd": 443, "open_by_handle_at": 304,
    "name_to_handle_at": 303, "fanotify_init": 300, "fanotify_mark": 301, "iopl": 172,
    "ioperm": 173, "modify_ldt": 154, "uselib": 134, "vhangup": 153, "lookup_dcookie": 212,
    "sync": 162, "syncfs": 306, "listmount": 458, "statmount": 457, "mincore": 27,
    "cachestat": 451,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65,
    "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70,
    "msgctl": 71, "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242,
    "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
}  # fmt: skip

# Calls whose pid argument (its index here) names a process: aimed at pid 1, the init, they
# kill the caller; the value after the index is what any other pid gets.
PID_ARGUMENT: dict[str, tuple[int, str]] = {
    "kill": (0, "allow"),
    "tkill": (0, "allow"),
    "tgkill": (0, "allow"),
    "rt_sigqueueinfo": (0, "allow"),
    "rt_tgsigqueueinfo": (0, "allow"),
    "prlimit64": (0, "allow"),
    "ptrace": (1, "deny"),
    "process_vm_readv": (0, "deny"),
    "process_vm_writev": (0, "deny"),
    "pidfd_open": (0, "deny"),
}
INIT_PID = 1
CLONE_NAMESPACE_FLAGS = (
    syscalls.CLONE_NEWNS
    | syscalls.CLONE_NEWCGROUP
    | syscalls.CLONE_NEWUTS
    | syscalls.CLONE_NEWIPC
    | syscalls.CLONE_NEWUSER
    | syscalls.CLONE_NEWPID
    | syscalls.CLONE_NEWNET
)
ALLOWED_SOCKET_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
PER_LINUX = 0
PERSONALITY_QUERY = 0xFFFFFFFF
LOW32 = 0xFFFFFFFF

_program: bytes | None = None


def _low32_not(
    filter_: pyseccomp.SyscallFilter, action: int, number: int, index: int, value: int
) -> None:
    """Add rules giving ``action`` to call ``number`` whenever the low 32 bits of argument ``index``
    differ from ``value``: libseccomp has no "not equal under a mask", and an unconditional
    rule next to a conditional one for the same call would override it, so the complement is
    spelled out bit by bit (one rule per bit that differs from ``value``)."""
    import pyseccomp as sc

    for bit in range(32):
        mask = 1 << bit
        filter_.add_rule(action, number, sc.Arg(index, sc.MASKED_EQ, mask, (value & mask) ^ mask))


def build_filter() -> pyseccomp.SyscallFilter:
    """The filter as a libseccomp context; exposed for tests (``export_pfc`` shows it).
    pyseccomp is imported here only: the web process imports this module without it."""
    import pyseccomp as sc

    eperm, enosys = sc.ERRNO(errno.EPERM), sc.ERRNO(errno.ENOSYS)
    filter_ = sc.SyscallFilter(enosys)
    filter_.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    # A binary search over syscall numbers (libseccomp 2.5+): a dozen comparisons per call
    # instead of a walk down some 250 allowed numbers.
    filter_.set_attr(sc.Attr.CTL_OPTIMIZE, 2)
    # No-new-privileges is set by ``install`` itself before loading (the exported program
    # does not carry libseccomp's attributes).
    checked = {"clone", "socket", "socketpair", "personality", *PID_ARGUMENT}
    for name, number in ALLOWED_SYSCALLS.items():
        if name not in checked:
            filter_.add_rule(sc.ALLOW, number)
    for name, number in DENIED_SYSCALLS.items():
        if name not in checked:
            filter_.add_rule(eperm, number)
    # clone3 is in neither list, so it gets the default ENOSYS (libseccomp refuses a rule
    # that repeats the default action).

    for name, (index, otherwise) in PID_ARGUMENT.items():
        number = ALLOWED_SYSCALLS.get(name, DENIED_SYSCALLS.get(name))
        filter_.add_rule(sc.KILL_PROCESS, number, sc.Arg(index, sc.MASKED_EQ, LOW32, INIT_PID))
        _low32_not(filter_, sc.ALLOW if otherwise == "allow" else eperm, number, index, INIT_PID)

    clone = ALLOWED_SYSCALLS["clone"]
    filter_.add_rule(sc.ALLOW, clone, sc.Arg(0, sc.MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0))
    for bit in range(32):
        flag = 1 << bit
        if CLONE_NAMESPACE_FLAGS & flag:
            filter_.add_rule(eperm, clone, sc.Arg(0, sc.MASKED_EQ, flag, flag))

    # Families 0-15 one by one; any value with a bit from 4 to 31 set is 16 or more.
    refused_family = sc.ERRNO(errno.EAFNOSUPPORT)
    for name in ("socket", "socketpair"):
        number = ALLOWED_SYSCALLS[name]
        for family in range(16):
            action = sc.ALLOW if family in ALLOWED_SOCKET_FAMILIES else refused_family
            filter_.add_rule(action, number, sc.Arg(0, sc.MASKED_EQ, LOW32, family))
        for bit in range(4, 32):
            mask = 1 << bit
            filter_.add_rule(refused_family, number, sc.Arg(0, sc.MASKED_EQ, mask, mask))

    personality = ALLOWED_SYSCALLS["personality"]
    for persona in (PER_LINUX, PERSONALITY_QUERY):
        filter_.add_rule(sc.ALLOW, personality, sc.Arg(0, sc.MASKED_EQ, LOW32, persona))
    return filter_


def program() -> bytes:
    """The compiled BPF program (struct sock_filter array), built once per process.

    The zygote calls this before it serves, so that libseccomp's work is done once and every
    forked job only loads the bytes."""
    global _program
    if _program is None:
        filter_ = build_filter()
        read_end, write_end = os.pipe()
        try:
            with os.fdopen(write_end, "wb", closefd=True) as sink:
                filter_.export_bpf(sink)
            chunks = []
            while chunk := os.read(read_end, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(read_end)
        data = b"".join(chunks)
        if not data or len(data) % 8:
            raise OSError(errno.EINVAL, "libseccomp exported no usable BPF program")
        _program = data
    return _program


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Install the filter in the calling (single-threaded) process; irreversible."""
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, "the seccomp filter is written for x86-64 only")
    data = program()
    buffer = ctypes.create_string_buffer(data, len(data))
    fprog = _SockFprog(len(data) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    # Required for an unprivileged filter, and it stops setuid binaries regaining power.
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
    syscalls.prctl_pointer(
        syscalls.PR_SET_SECCOMP,
        syscalls.SECCOMP_MODE_FILTER,
        ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p),
    )
