"""The held-out split never enters the step where learner code runs (shared/specs/labs.md:
"held-out data whose labels never enter the sandbox"). The training labs' judges draw their
images from the test split of MNIST, Fashion-MNIST and CIFAR-10 and judge against its labels;
the run step sees the store's run view, which lacks those files, and labkit says in Russian
that the split is held out. The clean check step (grader code only) sees the whole store. A
store provisioned before the view existed gets one at its first job, and the view follows
the store when the store changes. Through the real sandbox."""

import ast
import json
import os
import shutil
from pathlib import Path

import pytest

from grading.lab_mounts import CHECK_STEP, LABKIT_PARENT, RUN_STEP, lab_mounts
from labs import dataset_store
from labs.catalog import catalog_dir, load_lab_folder
from labs.dataset_store import RUN_VIEW_DIR, generate, run_view_is_fresh
from labs.labkit import datasets
from tests.test_lab_datasets_in_sandbox import describe_here, labkit_job
from tests.test_lab_datasets_provisioning import provision, status_rows
from tests.test_sandbox_support import last_json, requires_root

IMAGE_SETS = [name for name, layout in datasets.LAYOUTS.items() if layout.kind == datasets.IMAGES]
HELD_OUT = sorted(
    f for layout in datasets.LAYOUTS.values() for f in datasets.held_out_files(layout)
)
HELD_OUT_TEXT = "Тестовая часть набора {name} (split='test', а значит и 'all') недоступна решениям"
SMALL = {"mnist": (60, 20), "fashion_mnist": (60, 20), "cifar10": (40, 10)}

# Runs in the job: every file it sees under /datasets, and what load gives for each split.
LIST_AND_LOAD = """
import os
seen = sorted(
    os.path.relpath(os.path.join(d, f), "/datasets")
    for d, _, files in os.walk("/datasets") for f in files
)
result = {"files": seen, "loads": {}}
for name in datasets.NAMES:
    for split in ("train", "test", "all"):
        try:
            result["loads"][f"{name}/{split}"] = describe(name, split)
        except datasets.DatasetHeldOut as error:
            result["loads"][f"{name}/{split}"] = {"held_out": str(error), "file": error.file}
        except datasets.DatasetMissing:
            result["loads"][f"{name}/{split}"] = {"missing": True}
print(json.dumps(result))
"""


def test_the_held_out_files_are_the_test_split_of_the_image_sets():
    assert HELD_OUT == [
        "FashionMNIST/raw/t10k-images-idx3-ubyte",
        "FashionMNIST/raw/t10k-labels-idx1-ubyte",
        "MNIST/raw/t10k-images-idx3-ubyte",
        "MNIST/raw/t10k-labels-idx1-ubyte",
        "cifar-10-batches-py/test_batch",
    ]


@requires_root
def test_the_run_step_sees_no_held_out_file_and_is_told_so(generated_datasets):
    outcome = labkit_job(LIST_AND_LOAD, step=RUN_STEP)
    assert outcome.ok, outcome.stderr
    result = last_json(outcome)
    # Exactly the sets' train-side files (the same inodes' bytes) and the view's marker.
    expected = sorted(
        f
        for layout in datasets.LAYOUTS.values()
        for f in layout.files
        if f not in datasets.held_out_files(layout)
    )
    assert result["files"] == sorted([*expected, datasets.RUN_VIEW_MARKER])
    assert not set(HELD_OUT) & set(result["files"])
    loads = result["loads"]
    for name in datasets.NAMES:
        assert loads[f"{name}/train"] == describe_here(name, "train", generated_datasets), name
        if name in IMAGE_SETS:
            for split in ("test", "all"):
                seen = loads[f"{name}/{split}"]
                assert seen["held_out"].startswith(HELD_OUT_TEXT.format(name=name)), seen
                assert "Traceback" not in seen["held_out"]
                assert seen["file"] in HELD_OUT
        else:  # scikit-learn's sets have no split files: whole in the view
            for split in ("test", "all"):
                assert loads[f"{name}/{split}"] == describe_here(name, split, generated_datasets)

    uncaught = labkit_job('datasets.load("cifar10", "test", limit=5)\n', step=RUN_STEP)
    assert uncaught.exit_code == 1
    last = uncaught.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "labkit.datasets.DatasetHeldOut: " + HELD_OUT_TEXT.format(name="cifar10")
    ), last


@requires_root
def test_the_check_step_sees_the_whole_store(generated_datasets):
    outcome = labkit_job(LIST_AND_LOAD, step=CHECK_STEP)
    result = last_json(outcome)
    assert set(HELD_OUT) <= set(result["files"])
    for name in IMAGE_SETS:
        for split in ("train", "test", "all"):
            seen = result["loads"][f"{name}/{split}"]
            assert seen == describe_here(name, split, generated_datasets), (name, split)


def _write_lab(folder: Path) -> None:
    """A lab whose learner function reads MNIST's test split in the run step, and whose
    check.py (grader code) reads it in the clean step."""
    folder.mkdir()
    (folder / "lab.toml").write_text(
        'title = "Отложенные данные"\ncourse = "deep-learning"\nticket = 1\ndevice = "cpu"\n'
        "[limits]\nwall_s = 60\ncpu_s = 60\n",
        encoding="utf-8",
    )
    (folder / "statement.md").write_text("# Отложенные данные\n", encoding="utf-8")
    (folder / "solution.py").write_text("def rows(split):\n    raise NotImplementedError\n")
    (folder / "reference.py").write_text("")
    (folder / "probe.py").write_text(
        "def run(solution, observe, inputs):\n"
        "    for split in ('train', 'test'):\n"
        "        with observe(split) as seen:\n"
        "            seen.value = solution.rows(split)\n"
        "    with open(observe.handoff('note.txt'), 'w') as note:\n"
        "        note.write('handed off')\n"
    )
    (folder / "check.py").write_text(
        "import os\n"
        "from labkit import datasets\n"
        "def run(observe, inputs, handoff):\n"
        "    with observe('test_rows') as seen:\n"
        "        seen.value = {\n"
        "            'rows': len(datasets.load('mnist', 'test').y),\n"
        "            'labels_file': os.path.exists('/datasets/MNIST/raw/t10k-labels-idx1-ubyte'),\n"
        "        }\n"
    )
    (folder / "judge.py").write_text(
        "from labs.grader_api import CORE, Prepared, Test, Verdict\n"
        "TESTS = [Test('train', 1, 'train', CORE, uses=('train',)),\n"
        "         Test('test', 1, 'test', CORE, uses=('test',)),\n"
        "         Test('check', 1, 'check', CORE, uses=('check:test_rows',))]\n"
        "def prepare(draw):\n    return Prepared(inputs={})\n"
        "def judge(test, evidence, hidden):\n"
        "    value = evidence['check:test_rows' if test == 'check' else test]\n"
        "    if test == 'check':\n"
        "        good = value == {'rows': 20, 'labels_file': True}\n"
        "    else:\n"
        "        good = value == {'train': 60, 'test': 20}[test]\n"
        "    return Verdict.ok() if good else Verdict.fail('{v}', v=value)\n"
    )


@requires_root
def test_a_graded_lab_reads_the_test_split_in_its_check_step_only(tmp_path, settings):
    from grading.engine import grade_source

    store = tmp_path / "store"
    generate(store, names=["mnist"], sizes=SMALL)
    settings.DATASET_DIR = store
    _write_lab(tmp_path / "held-out-lab")
    source = (
        "from labkit import datasets\n"
        "def rows(split):\n"
        "    return len(datasets.load('mnist', split).y)\n"
    )
    result = grade_source(load_lab_folder(tmp_path / "held-out-lab"), source, device="cpu")
    tests = {test.name: test for test in result.tests}
    assert tests["train"].passed, tests["train"].message
    assert tests["check"].passed, tests["check"].message
    assert not tests["test"].passed
    assert HELD_OUT_TEXT.format(name="mnist") in tests["test"].message, tests["test"].message
    assert "Traceback" not in tests["test"].message


@requires_root
def test_a_store_provisioned_without_the_view_gets_one_at_the_first_job(tmp_path, settings):
    store = tmp_path / "store"
    generate(store, names=["mnist", "cifar10", "digits"], sizes=SMALL)
    shutil.rmtree(store / RUN_VIEW_DIR)  # as a store provisioned before the view existed
    settings.DATASET_DIR = store
    assert lab_mounts(CHECK_STEP)[-1] == (str(store), datasets.STORE_PATH)
    assert not (store / RUN_VIEW_DIR).exists()  # the check step does not need it
    outcome = labkit_job(LIST_AND_LOAD, step=RUN_STEP)
    assert (store / RUN_VIEW_DIR).is_dir() and run_view_is_fresh(store)
    result = last_json(outcome)
    assert "MNIST/raw/train-labels-idx1-ubyte" in result["files"]
    assert not set(HELD_OUT) & set(result["files"])
    assert result["loads"]["mnist/train"] == describe_here("mnist", "train", store)
    assert "held_out" in result["loads"]["mnist/test"]

    # A view that is not what it must be (here: it holds the test labels) is rebuilt too.
    os.link(store / HELD_OUT[3], store / RUN_VIEW_DIR / HELD_OUT[3])
    assert not run_view_is_fresh(store)
    assert lab_mounts(RUN_STEP)[-1] == (str(store / RUN_VIEW_DIR), datasets.STORE_PATH)
    assert not (store / RUN_VIEW_DIR / HELD_OUT[3]).exists()
    assert run_view_is_fresh(store)


@requires_root
def test_the_view_follows_the_store_when_it_changes(tmp_path, settings):
    store = tmp_path / "store"
    generate(store, seed=1, names=["mnist"], sizes=SMALL)
    settings.DATASET_DIR = store
    read_train = 'print(json.dumps(describe("mnist", "train")))\n'
    first = last_json(labkit_job(read_train, step=RUN_STEP))
    assert first == describe_here("mnist", "train", store)

    # Provisioning rebuilds the view itself: a replaced set, a new set.
    generate(store, seed=2, names=["mnist"], sizes=SMALL, replace=True)
    generate(store, seed=2, names=["cifar10"], sizes=SMALL)
    assert run_view_is_fresh(store)
    second = last_json(labkit_job(read_train, step=RUN_STEP))
    assert second == describe_here("mnist", "train", store) != first
    cifar = 'print(json.dumps(describe("cifar10", "train")))\n'
    assert last_json(labkit_job(cifar, step=RUN_STEP)) == describe_here("cifar10", "train", store)

    # A set swapped in by hand: the next job's view is rebuilt from the store.
    other = tmp_path / "other"
    generate(other, seed=3, names=["mnist"], sizes=SMALL)
    shutil.rmtree(store / "MNIST")
    os.rename(other / "MNIST", store / "MNIST")
    assert not run_view_is_fresh(store)
    third = last_json(labkit_job(read_train, step=RUN_STEP))
    assert third == describe_here("mnist", "train", store) not in (first, second)
    assert run_view_is_fresh(store)


def test_where_the_view_cannot_be_built_learner_code_sees_no_store(tmp_path, settings, caplog):
    store = tmp_path / "store"
    generate(store, names=["digits"])
    settings.DATASET_DIR = store

    def refuse(store):
        raise PermissionError(13, "Permission denied", str(store))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset_store, "ensure_run_view", refuse)
        assert [t for _, t in lab_mounts(RUN_STEP)] == [f"{LABKIT_PARENT}/labkit"]
        assert lab_mounts(CHECK_STEP)[-1] == (str(store), datasets.STORE_PATH)
    assert "learner code sees no dataset" in caplog.text
    with pytest.raises(ValueError):
        lab_mounts("both")


def test_the_view_marker_says_what_is_held_out(generated_datasets):
    marker = json.loads((generated_datasets / RUN_VIEW_DIR / datasets.RUN_VIEW_MARKER).read_text())
    assert marker["held_out"] == HELD_OUT
    # The view is not a set: the store's status lists the six sets and nothing else.
    assert [s.name for s in dataset_store.status(generated_datasets)] == list(datasets.NAMES)


def _held_out_reads(tree: ast.AST) -> list[str]:
    """Calls of labkit's load/read_arrays naming the test or all split (positionally or as
    split=...)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        if not (called.endswith("datasets.load") or called.endswith("read_arrays")):
            continue
        split = node.args[1] if len(node.args) > 1 else None
        split = next((k.value for k in node.keywords if k.arg == "split"), split)
        if not isinstance(split, ast.Constant) or split.value in ("test", "all"):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_lab_probe_reads_a_held_out_split():
    """Probes run in the run step, where the test split is not there: a probe that read it
    would fail every submission. (A split given by a variable is reported too.)"""
    problems = {}
    for probe in sorted(catalog_dir().glob("*/probe.py")):
        tree = ast.parse(probe.read_text(encoding="utf-8"))
        reads = _held_out_reads(tree)
        if reads:
            problems[probe.parent.name] = reads
    assert problems == {}


def test_the_status_reports_the_view_apart_from_the_sets_and_run_view_builds_it(tmp_path):
    store = tmp_path / "store"
    generate(store, names=["digits"])
    output = provision("--store", str(store))
    assert set(status_rows(output)) == set(datasets.NAMES)  # the view is not a set
    view_line = "run view .run-view (no test split of mnist, fashion_mnist, cifar10)"
    assert f"{view_line}: up to date" in output
    shutil.rmtree(store / RUN_VIEW_DIR)  # as a store provisioned before the view existed
    assert f"{view_line}: missing or stale" in provision("--status", "--store", str(store))
    assert not (store / RUN_VIEW_DIR).exists()  # a report changes nothing
    assert f"{view_line}: up to date" in provision("--run-view", "--store", str(store))
    assert run_view_is_fresh(store)
