"""The seccomp program itself, run by a small classic-BPF interpreter on crafted syscall
records: what the kernel would answer for each call, architecture and argument, including
the cases a real job cannot easily produce (another architecture, garbage in the upper half of
a register). The same program, loaded by the kernel, is tested through the real sandbox in
test_sandbox_syscalls.py and test_sandbox_trusted_side.py."""

from __future__ import annotations

import errno
import struct

import pytest

from grading.sandbox import seccomp

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
X32_SYSCALL_BIT = 0x40000000
KILL_PROCESS = 0x80000000
ALLOW = 0x7FFF0000
ERRNO = 0x00050000


def errno_action(code: int) -> int:
    return ERRNO | code


EPERM, ENOSYS = errno_action(errno.EPERM), errno_action(errno.ENOSYS)


def run_filter(nr: int, args: tuple[int, ...] = (), arch: int = AUDIT_ARCH_X86_64) -> int:
    """The action the program returns for one seccomp_data record."""
    padded = (list(args) + [0] * 6)[:6]
    data = struct.pack("<iIQ6Q", nr, arch, 0x401000, *[a & (2**64 - 1) for a in padded])
    program = seccomp.program()
    code = [struct.unpack_from("<HBBI", program, i) for i in range(0, len(program), 8)]
    a = x = 0
    memory = [0] * 16
    pc = 0
    while True:
        op, jt, jf, k = code[pc]
        pc += 1
        if op == 0x20:  # ld [k] (32-bit word of seccomp_data)
            (a,) = struct.unpack_from("<I", data, k)
        elif op == 0x00:  # ld #k
            a = k
        elif op == 0x01:  # ldx #k
            x = k
        elif op == 0x60:  # ld M[k]
            a = memory[k]
        elif op == 0x61:  # ldx M[k]
            x = memory[k]
        elif op == 0x02:  # st M[k]
            memory[k] = a
        elif op == 0x03:  # stx M[k]
            memory[k] = x
        elif op == 0x07:  # tax
            x = a
        elif op == 0x87:  # txa
            a = x
        elif op == 0x54:  # and #k
            a &= k
        elif op == 0x05:  # ja k
            pc += k
        elif op in (0x15, 0x25, 0x35, 0x45):  # jeq / jgt / jge / jset #k
            taken = {0x15: a == k, 0x25: a > k, 0x35: a >= k, 0x45: bool(a & k)}[op]
            pc += jt if taken else jf
        elif op == 0x06:  # ret #k
            return k
        else:
            raise AssertionError(f"opcode {op:#x} at {pc - 1} not understood by this test")


def test_every_allowed_call_without_argument_checks_is_allowed():
    checked = {"clone", "socket", "socketpair", "personality", *seccomp.PID_ARGUMENT}
    for name, number in seccomp.ALLOWED_SYSCALLS.items():
        if name not in checked:
            assert run_filter(number, (0, 0, 0)) == ALLOW, name


def test_every_denied_call_is_refused_with_eperm():
    for name, number in seccomp.DENIED_SYSCALLS.items():
        if name not in seccomp.PID_ARGUMENT:
            assert run_filter(number, (2, 2, 2)) == EPERM, name


@pytest.mark.parametrize(
    ("name", "number"),
    [("mbind", 237), ("set_mempolicy", 238), ("move_pages", 279), ("vmsplice", 278),
     ("io_setup", 206), ("statmount", 457), ("listmount", 458), ("pidfd_open", 434)],
)  # fmt: skip
def test_the_calls_named_in_issue_8_are_refused(name, number):
    assert seccomp.DENIED_SYSCALLS[name] == number
    assert run_filter(number, (2, 0, 0)) == EPERM


def test_calls_named_nowhere_get_enosys_so_libraries_take_their_fallbacks():
    for number in (435, 999, 334 + 1000):  # clone3, and numbers no kernel has yet
        assert run_filter(number) == ENOSYS
    known = set(seccomp.ALLOWED_SYSCALLS.values()) | set(seccomp.DENIED_SYSCALLS.values())
    for number in range(0, 470):
        if number not in known:
            assert run_filter(number) == ENOSYS, number


def test_other_architectures_and_the_x32_abi_kill_the_process():
    assert run_filter(39, arch=AUDIT_ARCH_I386) == KILL_PROCESS  # int 0x80 from a 64-bit task
    assert run_filter(X32_SYSCALL_BIT | 39) == KILL_PROCESS  # getpid through x32
    assert run_filter(X32_SYSCALL_BIT | 101, (16, 1)) == KILL_PROCESS


@pytest.mark.parametrize("name", sorted(seccomp.PID_ARGUMENT))
def test_a_call_aimed_at_pid_1_kills_the_caller_even_with_garbage_in_the_upper_half(name):
    index, otherwise = seccomp.PID_ARGUMENT[name]
    number = seccomp.ALLOWED_SYSCALLS.get(name, seccomp.DENIED_SYSCALLS.get(name))
    expected_other = ALLOW if otherwise == "allow" else EPERM

    def args(pid: int) -> tuple[int, ...]:
        values = [16, 16, 16]
        values[index] = pid
        return tuple(values)

    assert run_filter(number, args(1)) == KILL_PROCESS
    assert run_filter(number, args((0xDEAD << 32) | 1)) == KILL_PROCESS
    for pid in (0, 2, 3, 64, 0xFFFFFFFF, (1 << 32) | 2, 0x10001):
        assert run_filter(number, args(pid)) == expected_other, hex(pid)


def test_clone_with_a_namespace_flag_is_refused_and_plain_threads_and_forks_pass():
    clone = seccomp.ALLOWED_SYSCALLS["clone"]
    thread = 0x3D0F00  # CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT/CHILD_SETTID...
    assert run_filter(clone, (thread,)) == ALLOW
    assert run_filter(clone, (0x01200011,)) == ALLOW  # fork(): CHILD_SETTID|CHILD_CLEARTID|SIGCHLD
    for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                 0x40000000):  # fmt: skip
        assert run_filter(clone, (flag | 17,)) == EPERM, hex(flag)
        assert run_filter(clone, ((7 << 40) | flag | 17,)) == EPERM, hex(flag)


def test_sockets_only_for_unix_and_ip_families():
    eafnosupport = errno_action(errno.EAFNOSUPPORT)
    for name in ("socket", "socketpair"):
        number = seccomp.ALLOWED_SYSCALLS[name]
        for family in (1, 2, 10):
            assert run_filter(number, (family, 1, 0)) == ALLOW
            assert run_filter(number, ((1 << 33) | family, 1, 0)) == ALLOW  # upper half ignored
        for family in (0, 3, 9, 15, 16, 17, 38, 40, 44, 45, 1 << 20, 0xFFFFFFFF):
            assert run_filter(number, (family, 1, 0)) == eafnosupport, family


def test_personality_only_for_linux_and_the_query():
    personality = seccomp.ALLOWED_SYSCALLS["personality"]
    assert run_filter(personality, (0,)) == ALLOW
    assert run_filter(personality, (0xFFFFFFFF,)) == ALLOW
    for persona in (0x0040000, 0x0400000, 0x0200000, 0x0008, 0x0040008):
        assert run_filter(personality, (persona,)) == ENOSYS, hex(persona)
