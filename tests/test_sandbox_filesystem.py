"""The job writes only its private temp dir; it sees only what it is given, read-only."""

import os

import pytest

from grading.sandbox import Limits, SandboxJob
from grading.sandbox.isolation import project_root
from tests.test_sandbox_support import (
    last_json,
    marker,
    requires_root,
    run,
    tmp_entries_of_readonly_binds,
)

pytestmark = requires_root


def test_it_cannot_write_outside_the_temp_dir(tmp_path):
    target = tmp_path / "written-by-job"
    outcome = run(
        f"""
        import json, os
        results = {{}}
        for path in ["/usr/evil", "/etc/evil", "/evil", {str(target)!r},
                     os.path.realpath(__import__("sys").prefix) + "/evil", "/proc/evil"]:
            try:
                open(path, "w").write("x")
                results[path] = "written"
            except OSError as exc:
                results[path] = exc.errno
        open("/tmp/fine", "w").write("x")
        print(json.dumps(results))
        """
    )
    results = last_json(outcome)
    assert "written" not in results.values(), results
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/evil")


def test_the_temp_dir_is_the_cwd_and_vanishes_after_the_job():
    name = marker()
    first = run(f"import os\nopen({name!r}, 'w').write('x')\nprint(os.getcwd())\n")
    assert first.stdout.strip() == "/tmp"
    second = run(f"import os\nprint(os.path.exists({name!r}), sorted(os.listdir('.')))\n")
    expected = sorted(["main.py", "out", *tmp_entries_of_readonly_binds()])
    assert second.stdout.strip() == f"False {expected}"
    assert not any(name in files for _, _, files in os.walk("/tmp"))


def test_symlinks_in_the_temp_dir_do_not_bring_host_files_out():
    secret_on_host = "/etc/hostname"
    outcome = run(
        f"""
        import os
        os.symlink({secret_on_host!r}, "out/hostname")
        os.symlink("/proc/1/environ", "out/environ")
        os.symlink("/", "out/root")
        os.mkdir("real")
        os.symlink("/tmp/real", "out/dir")
        open("out/plain.txt", "w").write("mine")
        """
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.artifacts == {"plain.txt": b"mine"}


def test_an_out_dir_replaced_by_a_symlink_yields_no_artifacts():
    outcome = run("import os\nos.rmdir('out')\nos.symlink('/usr/lib', 'out')\n")
    assert outcome.exit_code == 0 and outcome.artifacts == {}


def test_artifacts_under_out_come_back_size_capped():
    outcome = run(
        """
        import os
        os.makedirs("out/sub")
        open("out/grid.png", "wb").write(b"\\x89PNG" + bytes(100))
        open("out/sub/note.txt", "w").write("hello")
        open("out/huge.bin", "wb").write(bytes(3 * 1024 * 1024))
        """,
        limits=Limits(artifact_bytes=1024 * 1024),
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.artifacts == {"grid.png": b"\x89PNG" + bytes(100), "sub/note.txt": b"hello"}


def test_the_dataset_store_is_visible_read_only(tmp_path):
    store = tmp_path / "datasets"
    (store / "mnist").mkdir(parents=True)
    (store / "mnist" / "train.bin").write_bytes(b"digits")
    outcome = run(
        f"""
        import json
        data = open({str(store / "mnist" / "train.bin")!r}, "rb").read().decode()
        try:
            open({str(store / "mnist" / "poison")!r}, "w").write("x")
            wrote = True
        except OSError as exc:
            wrote = exc.errno
        print(json.dumps({{"data": data, "wrote": wrote}}))
        """,
        readonly_paths=(str(store),),
    )
    assert last_json(outcome) == {"data": "digits", "wrote": 30}  # EROFS
    assert sorted(os.listdir(store / "mnist")) == ["train.bin"]


def test_a_trusted_package_dir_is_importable_through_pythonpath(tmp_path):
    labkit = tmp_path / "libs" / "labkit"
    labkit.mkdir(parents=True)
    (labkit / "__init__.py").write_text("VERSION = 'lab-1'\n")
    outcome = run(
        "import labkit\nprint(labkit.VERSION)\n",
        readonly_paths=(str(labkit),),
        pythonpath=(".", str(tmp_path / "libs")),
    )
    assert outcome.stdout == "lab-1\n", outcome.stderr


@pytest.mark.parametrize(
    "path",
    ["/", str(project_root().parent), str(project_root())],
    ids=["root", "parent", "project"],
)
def test_a_readonly_path_that_would_expose_the_project_is_refused(path):
    with pytest.raises(ValueError):
        run("pass", readonly_paths=(path,))


def test_file_names_that_escape_the_temp_dir_are_refused():
    for name in ("../x.py", "/etc/x.py", "a/../../x.py"):
        with pytest.raises(ValueError):
            SandboxJob(files={name: b"", "main.py": b""}, entry="main.py")


def test_the_root_file_system_is_read_only_even_where_empty():
    paths = ["/newdir", "/usr/newdir", "/dev/newnode"]
    if not tmp_entries_of_readonly_binds():
        # The project's folder is only the venv's mount point; under /tmp (a CI clone) it
        # lies in the job's own writable /tmp, so it is checked only elsewhere.
        paths.append(f"{project_root()}/newdir")
    outcome = run(
        f"""
        import json, os
        results = {{}}
        for path in {paths!r}:
            try:
                os.mkdir(path)
                results[path] = "made"
            except OSError as exc:
                results[path] = exc.errno
        print(json.dumps(results))
        """
    )
    results = last_json(outcome)
    assert set(results) == set(paths)
    # EROFS or EACCES, or ENOENT where the project is not in the job's view at all (a GPU
    # node's system Python).
    assert set(results.values()) <= {30, 13, 2}
