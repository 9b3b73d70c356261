"""labkit.datasets through the real sandbox: every set loads in a job with its contract, the
store and labkit are read-only there, limit and split behave, a missing set says so in
Russian, and the engine's lab jobs get all of it."""

import hashlib
import json
import os
import textwrap
from pathlib import Path

import pytest

from grading.lab_mounts import (
    CHECK_STEP,
    LABKIT_PARENT,
    RUN_STEP,
    lab_mounts,
    lab_pythonpath,
    labkit_source,
)
from grading.sandbox import Limits, SandboxJob
from grading.sandbox.isolation import plan_for, project_root, python_dirs
from grading.sandbox.protocol import job_from_fd, job_to_memfd
from labs.dataset_store import generate
from labs.labkit import datasets
from tests.test_sandbox_support import last_json, requires_root, run

# name -> (shape of one row, dtype of x, dtype of y)
CONTRACT = {
    "mnist": ([1, 28, 28], "torch.float32", "torch.int64"),
    "fashion_mnist": ([1, 28, 28], "torch.float32", "torch.int64"),
    "cifar10": ([3, 32, 32], "torch.float32", "torch.int64"),
    "breast_cancer": ([30], "torch.float32", "torch.int64"),
    "diabetes": ([10], "torch.float32", "torch.float32"),
    "digits": ([64], "torch.float32", "torch.int64"),
}
MISSING_CIFAR = "Набор данных cifar10 не установлен на этом сервере проверки"

# Runs in the job (and in this process, for comparison): what one split of a set holds.
DESCRIBE = """
def describe(name, split, limit=None, **options):
    x, y = datasets.load(name, split, limit, **options)
    return {
        "shape": list(x.shape), "x_dtype": str(x.dtype), "y_dtype": str(y.dtype),
        "x_min": float(x.min()) if len(x) else None, "x_max": float(x.max()) if len(x) else None,
        "y_min": float(y.min()) if len(y) else None, "y_max": float(y.max()) if len(y) else None,
        "x_sum": float(x.double().sum()), "y_sum": float(y.double().sum()),
    }
"""
JOB_HEADER = "import json, sys\nimport torch\nimport labkit\nfrom labkit import datasets\n"


def labkit_job(source: str, limits: Limits | None = None, mounts=None, step=CHECK_STEP):
    """Run ``source`` as a job that sees labkit and the store exactly as a lab job's ``step``
    does (by default the clean check step, which sees the whole store)."""
    return run(
        JOB_HEADER + DESCRIBE + textwrap.dedent(source),
        limits=limits or Limits(wall_s=60, cpu_s=60),
        readonly_mounts=lab_mounts(step) if mounts is None else mounts,
        pythonpath=(".", *lab_pythonpath()),
    )


def snapshot(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def describe_here(name: str, split: str, root: Path) -> dict:
    namespace = {"datasets": datasets}
    exec(DESCRIBE, namespace)  # noqa: S102 -- the test's own code, as the job runs it
    return namespace["describe"](name, split, root=root)


@requires_root
def test_every_set_loads_in_a_job_with_its_contract(generated_datasets):
    outcome = labkit_job(
        """
        result = {name: {split: describe(name, split) for split in ("train", "test")}
                  for name in datasets.NAMES}
        result["_imports"] = {"labkit": labkit.__file__, "django": "django" in sys.modules,
                              "grading": "grading" in sys.modules}
        print(json.dumps(result))
        """
    )
    assert outcome.ok, outcome.stderr
    result = last_json(outcome)
    assert result.pop("_imports") == {
        "labkit": f"{LABKIT_PARENT}/labkit/__init__.py",
        "django": False,
        "grading": False,
    }
    assert set(result) == set(CONTRACT)
    for name, (row_shape, x_dtype, y_dtype) in CONTRACT.items():
        manifest = json.loads(
            (generated_datasets / datasets.LAYOUTS[name].directory / "labkit-set.json").read_text()
        )
        for split in ("train", "test"):
            seen = result[name][split]
            assert seen["shape"] == [manifest["counts"][split], *row_shape], (name, split)
            assert (seen["x_dtype"], seen["y_dtype"]) == (x_dtype, y_dtype), (name, split)
            if datasets.LAYOUTS[name].kind == datasets.IMAGES:
                assert 0.0 <= seen["x_min"] < seen["x_max"] <= 1.0, (name, split)
            if datasets.LAYOUTS[name].classes:
                classes = len(datasets.LAYOUTS[name].classes)
                assert seen["y_min"] == 0 and seen["y_max"] == classes - 1, (name, split)
            # The very values that the same code reads outside the sandbox.
            assert seen == describe_here(name, split, generated_datasets), (name, split)


@requires_root
def test_the_store_and_labkit_are_read_only_in_the_job(tmp_path, settings):
    store = tmp_path / "store"
    generate(store, names=["mnist", "digits"])
    # Even what the host's permissions would let anyone write is read-only in the job.
    (store / "digits" / "open").mkdir(mode=0o777)
    (store / "digits" / "open").chmod(0o777)
    (store / "digits" / "open" / "anyone.txt").write_text("x")
    (store / "digits" / "open" / "anyone.txt").chmod(0o666)
    settings.DATASET_DIR = store
    before = snapshot(store)
    outcome = labkit_job(
        """
        import os
        attempts = {
            "create": lambda: open("/datasets/MNIST/raw/poison", "wb"),
            "create_top": lambda: open("/datasets/poison", "wb"),
            "overwrite": lambda: open("/datasets/MNIST/raw/train-labels-idx1-ubyte", "r+b"),
            "unlink": lambda: os.unlink("/datasets/digits/digits.csv.gz"),
            "rename": lambda: os.rename("/datasets/MNIST", "/datasets/gone"),
            "chmod": lambda: os.chmod("/datasets/MNIST/raw/train-labels-idx1-ubyte", 0o666),
            "mkdir": lambda: os.mkdir("/datasets/MNIST/extra"),
            "open_dir": lambda: open("/datasets/digits/open/new.txt", "w"),
            "open_file": lambda: open("/datasets/digits/open/anyone.txt", "a"),
            "labkit": lambda: open("/opt/labkit/labkit/datasets.py", "a"),
            "labkit_new": lambda: open("/opt/labkit/labkit/evil.py", "w"),
        }
        results = {}
        for name, attempt in attempts.items():
            try:
                attempt()
                results[name] = "done"
            except OSError as error:
                results[name] = error.errno
        print(json.dumps(results))
        """
    )
    results = last_json(outcome)
    assert "done" not in results.values(), results
    assert set(results.values()) <= {30, 13, 1}, results  # EROFS, EACCES, EPERM
    assert results["open_dir"] == results["open_file"] == 30, results  # the mount itself
    assert snapshot(store) == before
    assert not (labkit_source() / "evil.py").exists()


@requires_root
def test_limit_and_split_in_a_job(generated_datasets):
    outcome = labkit_job(
        """
        def same(a, b):
            return a[0].shape == b[0].shape and bool((a[0] == b[0]).all() and (a[1] == b[1]).all())

        load = datasets.load
        full = load("mnist", "train")
        test = load("mnist", "test")
        every = load("mnist", "all")
        cifar = load("cifar10", "train")
        digits = load("digits", "all")
        checks = {
            "prefix": same(load("mnist", "train", 10), (full.x[:10], full.y[:10])),
            "zero": list(load("mnist", "test", 0).x.shape),
            "beyond": same(load("mnist", "test", 10**9), test),
            "all_is_train_then_test": same(
                every, (torch.cat([full.x, test.x]), torch.cat([full.y, test.y]))),
            "all_limited_across_the_split": same(
                load("mnist", "all", len(full.y) + 5),
                (torch.cat([full.x, test.x[:5]]), torch.cat([full.y, test.y[:5]]))),
            "cifar_across_batches": same(load("cifar10", "train", 1500),
                                         (cifar.x[:1500], cifar.y[:1500])),
            "table_test_rows": same(load("digits", "test"), (digits.x[3::4], digits.y[3::4])),
            "table_train_rows": len(load("digits", "train").y) + len(load("digits", "test").y)
                                == len(digits.y),
            "table_limit": same(load("breast_cancer", "train", 7),
                                tuple(t[:7] for t in load("breast_cancer", "train"))),
            "deterministic": same(load("cifar10", "test", 50), load("cifar10", "test", 50)),
        }
        print(json.dumps(checks))
        """
    )
    assert last_json(outcome) == {
        "prefix": True,
        "zero": [0, 1, 28, 28],
        "beyond": True,
        "all_is_train_then_test": True,
        "all_limited_across_the_split": True,
        "cifar_across_batches": True,
        "table_test_rows": True,
        "table_train_rows": True,
        "table_limit": True,
        "deterministic": True,
    }


@requires_root
def test_a_missing_set_gives_the_learner_a_clear_russian_message(tmp_path, settings):
    store = tmp_path / "only-mnist"
    generate(store, names=["mnist"])
    settings.DATASET_DIR = store
    outcome = labkit_job(
        """
        try:
            datasets.load("cifar10", "train", limit=5)
        except datasets.DatasetMissing as error:
            print(json.dumps({"message": str(error), "mnist": describe("mnist", "test", 3)}))
        """
    )
    result = last_json(outcome)
    assert result["message"].startswith(MISSING_CIFAR), result
    assert "Traceback" not in result["message"]
    assert result["mnist"]["shape"] == [3, 1, 28, 28]

    uncaught = labkit_job('datasets.load("digits", "test")\n')
    assert uncaught.exit_code == 1
    last = uncaught.stderr.strip().splitlines()[-1]
    assert last.startswith("labkit.datasets.DatasetMissing: Набор данных digits не установлен")


@requires_root
def test_without_a_store_every_set_is_missing(tmp_path, settings):
    settings.DATASET_DIR = tmp_path / "never-provisioned"
    for step in (RUN_STEP, CHECK_STEP):
        assert [target for _, target in lab_mounts(step)] == [f"{LABKIT_PARENT}/labkit"]
    outcome = labkit_job(
        """
        import os
        messages = {}
        for name in datasets.NAMES:
            try:
                datasets.load(name, "train", 1)
            except datasets.DatasetMissing as error:
                messages[name] = str(error)
        print(json.dumps({"messages": messages, "exists": os.path.exists("/datasets")}))
        """
    )
    result = last_json(outcome)
    assert result["exists"] is False
    assert sorted(result["messages"]) == sorted(datasets.NAMES)
    for name, message in result["messages"].items():
        assert message.startswith(f"Набор данных {name} не установлен на этом сервере проверки")


@requires_root
def test_a_graded_lab_reads_the_store_and_shows_the_missing_set_message(tmp_path, settings):
    from grading.engine import grade_source
    from labs.catalog import load_lab_folder

    store = tmp_path / "store"
    generate(store, names=["mnist"])
    settings.DATASET_DIR = store
    lab = tmp_path / "data-lab"
    lab.mkdir()
    (lab / "lab.toml").write_text(
        'title = "Данные"\ncourse = "deep-learning"\nticket = 1\ndevice = "cpu"\n'
        "[limits]\nwall_s = 60\ncpu_s = 60\n",
        encoding="utf-8",
    )
    (lab / "statement.md").write_text("# Данные\n", encoding="utf-8")
    (lab / "solution.py").write_text("def shape(name):\n    raise NotImplementedError\n")
    (lab / "reference.py").write_text("")
    (lab / "probe.py").write_text(
        "def run(solution, observe, inputs):\n"
        "    for name in ('mnist', 'cifar10'):\n"
        "        with observe(name) as seen:\n"
        "            seen.value = solution.shape(name)\n"
    )
    (lab / "judge.py").write_text(
        "from labs.grader_api import CORE, Prepared, Test, Verdict\n"
        "TESTS = [Test('mnist', 1, 'MNIST', CORE, uses=('mnist',)),\n"
        "         Test('cifar10', 1, 'CIFAR-10', CORE, uses=('cifar10',))]\n"
        "def prepare(draw):\n    return Prepared(inputs={})\n"
        "def judge(test, evidence, hidden):\n"
        "    value = evidence[test]\n"
        "    return Verdict.ok() if value[1:] == [1, 28, 28] else Verdict.fail('{v}', v=value)\n"
    )
    source = (
        "import labkit.datasets\n"
        "def shape(name):\n"
        "    return list(labkit.datasets.load(name, 'train', limit=4).x.shape)\n"
    )
    result = grade_source(load_lab_folder(lab), source, device="cpu")
    tests = {test.name: test for test in result.tests}
    assert tests["mnist"].passed, tests["mnist"].message
    assert not tests["cifar10"].passed
    assert MISSING_CIFAR in tests["cifar10"].message, tests["cifar10"].message
    assert "Traceback" not in tests["cifar10"].message
    assert result.score == 0.5


# --- the sandbox's read-only mounts themselves (no root needed: checked before any job) -------


@pytest.mark.parametrize(
    "target",
    ["datasets", "/", "/tmp/datasets", "/usr/share/datasets", "/etc/d", "/proc/d", "/dev/d",
     "/datasets/", "/a/../datasets", "/a//b"],
)  # fmt: skip
def test_a_mount_target_the_sandbox_owns_or_that_is_not_plain_is_refused(tmp_path, target):
    with pytest.raises(ValueError):
        SandboxJob(
            files={"main.py": b""}, entry="main.py", readonly_mounts=((str(tmp_path), target),)
        )


def test_mount_targets_may_not_nest_or_coincide(tmp_path):
    for targets in (("/datasets", "/datasets"), ("/datasets", "/datasets/mnist")):
        with pytest.raises(ValueError):
            SandboxJob(
                files={"main.py": b""},
                entry="main.py",
                readonly_mounts=tuple((str(tmp_path), t) for t in targets),
            )


def test_a_mount_may_not_expose_the_project_or_cover_the_interpreter(tmp_path):
    for mounts in (
        ((str(project_root()), "/project"),),
        ((str(project_root().parent), "/datasets"),),
        ((str(tmp_path), python_dirs()[-1]),),
        ((str(tmp_path), os.path.dirname(python_dirs()[-1])),),
        ((str(tmp_path / "absent"), "/datasets"),),
    ):
        with pytest.raises(ValueError):
            job = SandboxJob(files={"main.py": b""}, entry="main.py", readonly_mounts=mounts)
            plan_for(job, os.getuid())


def test_the_mounts_travel_with_the_job(tmp_path):
    job = SandboxJob(
        files={"main.py": b"pass\n"},
        entry="main.py",
        readonly_mounts=(
            (str(tmp_path), "/datasets"),
            (str(labkit_source()), "/opt/labkit/labkit"),
        ),
    )
    fd = job_to_memfd(job)
    try:
        assert job_from_fd(fd) == job
    finally:
        os.close(fd)
    plan = plan_for(job, 12345)
    assert plan.mounts == [
        (str(tmp_path.resolve()), "/datasets"),
        (str(labkit_source().resolve()), "/opt/labkit/labkit"),
    ]
