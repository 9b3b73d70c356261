"""Where job cgroups go: always under the worker's own group, found from real shapes of
/proc/self/cgroup and /proc/self/mountinfo (cgroup v1, v2, hybrid, a container's private
cgroup namespace, nested and bind-mounted hierarchies). The parsing is tested on text; the
layout on fake /sys/fs/cgroup trees under tmp_path; the v2 "no internal processes" delegation
on the real kernel, in a throw-away subtree of this machine's cgroup2 hierarchy."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from grading.sandbox import cgroups
from grading.sandbox.cgroups import (
    GROUP_DIR,
    WORKER_LEAF,
    CgroupMount,
    Membership,
    cgroup_dir,
    find_layout,
    find_own_groups,
    parse_mountinfo,
    parse_proc_cgroup,
)

# This project's development machine (cgroup v1 controllers, an empty v2 hierarchy beside).
HYBRID_CGROUP = """\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/9cf35693c29732cb0f7a02da16ced4d6
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
"""
HYBRID_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
# A systemd host on cgroup v2 only, the worker a service of its own.
SYSTEMD_V2_CGROUP = "0::/system.slice/grading-worker.service\n"
SYSTEMD_V2_MOUNTINFO = (
    "24 30 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9"
    " - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
)
# Docker on a v2 host, `cgroup: private`: the container's group is the namespace's root.
CONTAINER_CGROUP = "0::/\n"
CONTAINER_MOUNTINFO_RO = (
    "1390 1381 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime"
    " - cgroup2 cgroup rw,nsdelegate\n"
)
CONTAINER_MOUNTINFO_RW = CONTAINER_MOUNTINFO_RO.replace(" ro,nosuid", " rw,nosuid")
# Docker on a v1 host (host cgroup namespace): each controller is the container's own group,
# bind-mounted, read-only unless made writable; cpu and cpuacct share a hierarchy.
DOCKER_V1_CGROUP = """\
12:pids:/docker/0123abcd
5:memory:/docker/0123abcd
3:cpu,cpuacct:/docker/0123abcd
1:name=systemd:/docker/0123abcd
"""
DOCKER_V1_MOUNTINFO = """\
700 699 0:60 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
705 700 0:33 /docker/0123abcd /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime master:17 - cgroup cgroup rw,pids
706 700 0:29 /docker/0123abcd /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:13 - cgroup cgroup rw,memory
707 700 0:27 /docker/0123abcd /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:11 - cgroup cgroup rw,cpu,cpuacct
"""  # noqa: E501


def test_proc_cgroup_lines_are_split_into_v1_controllers_and_the_unified_path():
    membership = parse_proc_cgroup(HYBRID_CGROUP)
    assert membership.v2 == "/"
    assert membership.v1["memory"] == "/process_api/9cf35693c29732cb0f7a02da16ced4d6"
    assert membership.v1["pids"] == "/" and membership.v1["name=systemd"] == "/"
    assert parse_proc_cgroup(SYSTEMD_V2_CGROUP) == Membership(
        v1={}, v2="/system.slice/grading-worker.service"
    )
    combined = parse_proc_cgroup(DOCKER_V1_CGROUP)
    assert combined.v2 is None
    assert combined.v1["cpu"] == combined.v1["cpuacct"] == "/docker/0123abcd"
    # A path may itself contain colons: only the first two split.
    assert parse_proc_cgroup("0::/a:b\n").v2 == "/a:b"


def test_mountinfo_gives_each_cgroup_mount_its_root_version_and_writability():
    mounts = parse_mountinfo(HYBRID_MOUNTINFO)
    assert [m.mountpoint.name for m in mounts] == [
        "cpu", "cpuacct", "memory", "pids", "systemd", "unified",
    ]  # fmt: skip
    unified = mounts[-1]
    assert unified.version == 2 and unified.root == "/" and unified.writable
    docker = parse_mountinfo(DOCKER_V1_MOUNTINFO)
    assert {m.mountpoint.name for m in docker} == {"pids", "memory", "cpu,cpuacct"}
    assert all(m.root == "/docker/0123abcd" and not m.writable for m in docker)
    assert {"cpu", "cpuacct"} <= docker[-1].options
    container = parse_mountinfo(CONTAINER_MOUNTINFO_RO)[0]
    assert container.version == 2 and not container.writable
    assert parse_mountinfo(CONTAINER_MOUNTINFO_RW)[0].writable
    escaped = parse_mountinfo(
        "50 1 0:40 / /srv/my\\040cgroups rw - cgroup2 cgroup2 rw\n"
        "51 1 0:41 / /proc rw - proc proc rw\n"
    )
    assert [m.mountpoint for m in escaped] == [Path("/srv/my cgroups")]


def mount(root: str, at: str, version: int = 2, writable: bool = True) -> CgroupMount:
    return CgroupMount(Path(at), root, version, frozenset({"rw"}), writable)


@pytest.mark.parametrize(
    ("mount_root", "path", "expected"),
    [
        ("/", "/", "/sys/fs/cgroup"),
        ("/", "/system.slice/w.service", "/sys/fs/cgroup/system.slice/w.service"),
        ("/docker/abc", "/docker/abc", "/sys/fs/cgroup"),
        ("/docker/abc", "/docker/abc/sub/leaf", "/sys/fs/cgroup/sub/leaf"),
        ("/docker/abc", "/docker/abcdef", None),  # a sibling that shares a prefix
        ("/docker/abc", "/other", None),
        ("/", "/../../user.slice", None),  # outside this process's cgroup namespace
    ],
)
def test_a_group_path_resolves_under_the_mount_that_shows_it(mount_root, path, expected):
    resolved = cgroup_dir(mount(mount_root, "/sys/fs/cgroup"), path)
    assert resolved == (Path(expected) if expected else None)


def test_own_groups_on_each_kind_of_machine():
    hybrid = find_own_groups(parse_proc_cgroup(HYBRID_CGROUP), parse_mountinfo(HYBRID_MOUNTINFO))
    assert hybrid.v2 == Path("/sys/fs/cgroup/unified")
    assert hybrid.v1 == {
        "memory": Path("/sys/fs/cgroup/memory/process_api/9cf35693c29732cb0f7a02da16ced4d6"),
        "pids": Path("/sys/fs/cgroup/pids"),
        "cpuacct": Path("/sys/fs/cgroup/cpuacct"),
    }
    systemd = find_own_groups(
        parse_proc_cgroup(SYSTEMD_V2_CGROUP), parse_mountinfo(SYSTEMD_V2_MOUNTINFO)
    )
    assert systemd.v2 == Path("/sys/fs/cgroup/system.slice/grading-worker.service")
    container = find_own_groups(
        parse_proc_cgroup(CONTAINER_CGROUP), parse_mountinfo(CONTAINER_MOUNTINFO_RO)
    )
    assert container.v2 == Path("/sys/fs/cgroup") and container.read_only == {"v2"}
    docker_v1 = find_own_groups(
        parse_proc_cgroup(DOCKER_V1_CGROUP), parse_mountinfo(DOCKER_V1_MOUNTINFO)
    )
    assert docker_v1.v1 == {
        "memory": Path("/sys/fs/cgroup/memory"),
        "pids": Path("/sys/fs/cgroup/pids"),
        "cpuacct": Path("/sys/fs/cgroup/cpu,cpuacct"),
    }
    assert docker_v1.read_only == {"memory", "pids", "cpuacct"}


def test_a_worker_already_moved_into_its_leaf_uses_the_leafs_parent():
    # After a first zygote delegated the group, every worker process lives in the leaf; a
    # zygote started later must not nest another leaf inside it.
    mounts = parse_mountinfo(SYSTEMD_V2_MOUNTINFO)
    nested = parse_proc_cgroup(f"0::/system.slice/grading-worker.service/{WORKER_LEAF}\n")
    assert find_own_groups(nested, mounts).v2 == Path(
        "/sys/fs/cgroup/system.slice/grading-worker.service"
    )
    in_container = parse_proc_cgroup(f"0::/{WORKER_LEAF}\n")
    assert find_own_groups(in_container, parse_mountinfo(CONTAINER_MOUNTINFO_RW)).v2 == Path(
        "/sys/fs/cgroup"
    )


def fake_tree(tmp_path: Path, mountinfo: str, dirs: dict[str, str]) -> list[CgroupMount]:
    """Mounts of ``mountinfo`` moved under tmp_path, with ``dirs`` (relative path ->
    cgroup.controllers content) created there."""
    for relative, controllers in dirs.items():
        directory = tmp_path / relative
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cgroup.controllers").write_text(controllers)
    return [
        CgroupMount(tmp_path / str(m.mountpoint).lstrip("/"), m.root, m.version, m.options,
                    m.writable)
        for m in parse_mountinfo(mountinfo)
    ]  # fmt: skip


def test_v2_job_groups_go_under_the_workers_own_group_never_the_root(tmp_path):
    mounts = fake_tree(
        tmp_path,
        SYSTEMD_V2_MOUNTINFO,
        {"sys/fs/cgroup/system.slice/grading-worker.service": "cpu memory pids"},
    )
    layout, reason = find_layout(parse_proc_cgroup(SYSTEMD_V2_CGROUP), mounts)
    own = tmp_path / "sys/fs/cgroup/system.slice/grading-worker.service"
    assert reason == "" and layout.version == 2
    assert layout.parents == {"all": own / GROUP_DIR} and layout.own == {"all": own}


def test_the_hybrid_machine_uses_v1_because_its_v2_hierarchy_has_no_memory_controller(
    tmp_path,
):
    memory = "sys/fs/cgroup/memory/process_api/9cf35693c29732cb0f7a02da16ced4d6"
    mounts = fake_tree(
        tmp_path,
        HYBRID_MOUNTINFO,
        {"sys/fs/cgroup/unified": "hugetlb", memory: "", "sys/fs/cgroup/pids": "",
         "sys/fs/cgroup/cpuacct": ""},
    )  # fmt: skip
    layout, _ = find_layout(parse_proc_cgroup(HYBRID_CGROUP), mounts)
    assert layout.version == 1
    assert layout.parents["memory"] == tmp_path / memory / GROUP_DIR
    assert layout.parents["pids"] == tmp_path / "sys/fs/cgroup/pids" / GROUP_DIR


def test_a_read_only_container_mount_is_refused_with_its_reason(tmp_path):
    mounts = fake_tree(tmp_path, CONTAINER_MOUNTINFO_RO, {"sys/fs/cgroup": "cpu memory pids"})
    layout, reason = find_layout(parse_proc_cgroup(CONTAINER_CGROUP), mounts)
    assert layout is None
    assert "read-only" in reason and "v2" in reason and "v1" in reason
    writable = fake_tree(tmp_path, CONTAINER_MOUNTINFO_RW, {})
    layout, _ = find_layout(parse_proc_cgroup(CONTAINER_CGROUP), writable)
    assert layout.parents == {"all": tmp_path / "sys/fs/cgroup" / GROUP_DIR}


def test_no_cgroup_mount_at_all_gives_no_layout_and_says_why():
    layout, reason = find_layout(parse_proc_cgroup(CONTAINER_CGROUP), [])
    assert layout is None and reason.startswith("no usable cgroup")


# --- the v2 delegation on the real kernel ----------------------------------------------------


def unified_hierarchy() -> Path | None:
    for m in parse_mountinfo(Path("/proc/self/mountinfo").read_text()):
        if m.version == 2 and m.writable and m.root == "/":
            return m.mountpoint
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make cgroups")
def test_v2_delegation_moves_the_groups_processes_into_a_leaf_then_enables_controllers():
    root = unified_hierarchy()
    if root is None or not (root / "cgroup.controllers").read_text().split():
        pytest.skip("no writable cgroup2 hierarchy with a controller to delegate here")
    controller = (root / "cgroup.controllers").read_text().split()[0]
    enabled_before = (root / "cgroup.subtree_control").read_text().split()
    own = root / f"sbx-test-{uuid.uuid4().hex[:8]}"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        if controller not in enabled_before:
            (root / "cgroup.subtree_control").write_text(f"+{controller}")
        own.mkdir()
        (own / "cgroup.procs").write_text(str(sleeper.pid))
        # The rule itself: a non-root group that holds a process cannot hand controllers on.
        with pytest.raises(OSError) as refused:
            (own / "cgroup.subtree_control").write_text(f"+{controller}")
        assert refused.value.errno == errno.EBUSY

        cgroups._delegate_v2(own, required=(controller,))

        assert (own / "cgroup.procs").read_text().split() == []
        assert (own / WORKER_LEAF / "cgroup.procs").read_text().split() == [str(sleeper.pid)]
        assert controller in (own / "cgroup.subtree_control").read_text().split()
        cgroups._delegate_v2(own, required=(controller,))  # a second zygote: nothing to do
        # The moved process now finds the delegated group as its own, not the leaf.
        moved = parse_proc_cgroup(Path(f"/proc/{sleeper.pid}/cgroup").read_text())
        mounts = parse_mountinfo(Path("/proc/self/mountinfo").read_text())
        assert find_own_groups(moved, mounts).v2 == own
    finally:
        sleeper.kill()
        sleeper.wait()
        for group in (own / WORKER_LEAF, own):
            for _ in range(100):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    subprocess.run(["sleep", "0.02"], check=False)
        if controller not in enabled_before:
            (root / "cgroup.subtree_control").write_text(f"-{controller}")
