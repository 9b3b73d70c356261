"""labkit.datasets reading a store in this process: the layouts torchvision reads, arguments
refused in Russian, and damaged or hostile files refused without running anything."""

import gzip
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from labs.dataset_store import generate
from labs.labkit import datasets
from labs.synthetic_datasets import write_cifar_batch, write_idx


@pytest.fixture
def store(tmp_path, generated_datasets) -> Path:
    """A copy of the session's generated store that a test may damage."""
    copy = tmp_path / "store"
    shutil.copytree(generated_datasets, copy)
    return copy


def test_torchvision_reads_the_same_images_and_labels(generated_datasets):
    import torchvision

    for name, dataset in (
        ("mnist", torchvision.datasets.MNIST),
        ("fashion_mnist", torchvision.datasets.FashionMNIST),
    ):
        for split in ("train", "test"):
            theirs = dataset(str(generated_datasets), train=split == "train", download=False)
            x, y = datasets.load(name, split, root=generated_datasets)
            assert x.equal(theirs.data.unsqueeze(1).float().div(255)), (name, split)
            assert y.equal(theirs.targets), (name, split)


def test_the_cifar_batches_are_what_torchvision_unpickles(generated_datasets):
    """torchvision's CIFAR10 reads each batch with pickle.load(encoding="latin1") (it also
    checks the published md5, which generated files cannot match)."""
    with open(generated_datasets / datasets.CIFAR_DIR / "test_batch", "rb") as f:
        batch = pickle.load(f, encoding="latin1")  # noqa: S301 -- the test's own file
    x, y = datasets.load("cifar10", "test", root=generated_datasets)
    expected = batch["data"].reshape(-1, 3, 32, 32)
    assert np.array_equal((x * 255).round().byte().numpy(), expected)
    assert y.tolist() == batch["labels"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("imagenet", "train"), "Неизвестный набор данных 'imagenet'. Доступны: mnist, "),
        ((3, "train"), "Неизвестный набор данных 3"),
        (("mnist", "val"), "Неизвестная часть набора 'val': укажите 'train'"),
        (("mnist", "train", -1), "limit должен быть None или целым числом не меньше 0"),
        (("mnist", "train", 2.5), "limit должен быть None или целым числом"),
        (("mnist", "train", True), "limit должен быть None или целым числом"),
    ],
)
def test_bad_arguments_are_refused_in_russian(generated_datasets, arguments, message):
    with pytest.raises(ValueError) as refused:
        datasets.load(*arguments, root=generated_datasets)
    assert str(refused.value).startswith(message)


def test_names_are_forgiving_and_limits_may_be_numpy_integers(generated_datasets):
    x, _ = datasets.load("Fashion-MNIST", "test", np.int64(3), root=generated_datasets)
    assert x.shape == (3, 1, 28, 28)


def test_the_store_is_found_where_jobs_see_it_or_where_the_environment_says(
    generated_datasets, monkeypatch
):
    monkeypatch.delenv(datasets.STORE_ENV, raising=False)
    assert datasets.store_root() == Path("/datasets")
    monkeypatch.setenv(datasets.STORE_ENV, str(generated_datasets))
    assert datasets.load("digits", "test", 2).x.shape == (2, 64)


def test_a_missing_set_names_itself_and_its_file(tmp_path):
    generate(tmp_path / "store", names=["digits"])
    with pytest.raises(datasets.DatasetMissing) as missing:
        datasets.load("cifar10", "test", root=tmp_path / "store")
    assert str(missing.value) == (
        "Набор данных cifar10 не установлен на этом сервере проверки (нет файла "
        "cifar-10-batches-py/test_batch). Ваш код здесь ни при чём: сообщите преподавателю "
        "или администратору курса."
    )
    assert (missing.value.name, missing.value.file) == ("cifar10", "cifar-10-batches-py/test_batch")


def damaged(name: str, split: str, store: Path) -> datasets.DatasetDamaged:
    with pytest.raises(datasets.DatasetDamaged) as error:
        datasets.load(name, split, root=store)
    assert str(error.value).startswith(f"Набор данных {name} на этом сервере проверки повреждён")
    return error.value


def test_truncated_or_altered_idx_files_are_refused(store):
    images = store / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-1])
    assert damaged("mnist", "test", store).file == "MNIST/raw/t10k-images-idx3-ubyte"
    assert "файл короче" in str(damaged("mnist", "test", store))
    write_idx(images, np.zeros((1000, 28, 27), np.uint8))
    assert "неожиданная форма данных" in str(damaged("mnist", "test", store))
    images.write_bytes(b"\x00\x00\x0d\x03" + bytes(100))  # float32 data: not MNIST's
    assert "неожиданный формат файла" in str(damaged("mnist", "test", store))
    write_idx(store / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte", np.full(1000, 10))
    assert "метки классов" in str(damaged("fashion_mnist", "test", store))


def test_a_hostile_pickle_is_refused_without_running_anything(store, tmp_path):
    marker = tmp_path / "ran"

    class Hostile:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    batch = store / datasets.CIFAR_DIR / "test_batch"
    batch.write_bytes(pickle.dumps({"data": Hostile(), "labels": []}, protocol=2))
    assert damaged("cifar10", "test", store).file == "cifar-10-batches-py/test_batch"
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):
        datasets.read_cifar_batch(batch)
    assert not marker.exists()


def test_cifar_batches_of_the_wrong_kind_are_refused(store):
    batch = store / datasets.CIFAR_DIR / "test_batch"
    for data, labels in (
        (np.zeros((4, 3072), np.float64), [0, 1, 2, 3]),  # not bytes
        (np.zeros((4, 3000), np.uint8), [0, 1, 2, 3]),  # not 32x32x3
        (np.zeros((4, 3072), np.uint8), [0, 1, 2]),  # labels do not match
        (np.zeros((4, 3072), np.uint8), [0, 1, 2, 11]),  # no such class
    ):
        # Protocol 4 stores bytes as bytes: the unpickler admits it, the checks after it do not.
        with open(batch, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f, protocol=4)
        damaged("cifar10", "test", store)
    with open(batch, "wb") as f:
        pickle.dump({"data": np.zeros((4, 3072), np.uint8), "labels": [0, 1, 2, 9]}, f, protocol=4)
    assert datasets.load("cifar10", "test", root=store).y.tolist() == [0, 1, 2, 9]
    write_cifar_batch(batch, np.ones((2, 3072), np.uint8), [5, 6], "like the published ones")
    x, y = datasets.load("cifar10", "test", root=store)
    assert y.tolist() == [5, 6] and x.max().item() == pytest.approx(1 / 255)


def test_damaged_tables_are_refused(store):
    (store / "digits" / "digits.csv.gz").write_bytes(b"not gzip")
    assert damaged("digits", "train", store).file == "digits/digits.csv.gz"
    (store / "digits" / "digits.csv.gz").write_bytes(gzip.compress(b"1,2,3\n"))
    damaged("digits", "train", store)
    cancer = store / "breast_cancer" / "breast_cancer.csv"
    lines = cancer.read_text().splitlines()
    cancer.write_text("\n".join(lines[:-3]) + "\n")  # fewer rows than its header says
    assert "неожиданная форма данных" in str(damaged("breast_cancer", "test", store))
    cancer.write_text("\n".join([lines[0], "a,b,c", *lines[2:]]) + "\n")
    assert "неожиданный формат файла" in str(damaged("breast_cancer", "test", store))


def test_the_web_side_imports_no_heavy_module():
    """What the engine and the command import at module level pulls in neither numpy, torch,
    torchvision nor scikit-learn (the web process has none of them to spare)."""
    import subprocess
    import sys

    code = (
        "import sys, django; django.setup()\n"
        "import labs.labkit, grading.lab_mounts, labs.dataset_store\n"
        "import grading.management.commands.provision_datasets\n"
        "heavy = ('numpy', 'torch', 'torchvision', 'sklearn')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stderr
