"""`manage.py provision_datasets`: generated sets, published files checked against their
checksums, refusals that change nothing, and the status report."""

import base64
import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labs import dataset_store
from labs.labkit import datasets

MNIST_GZ = [f"{f}.gz" for split in ("train", "test") for f in datasets.MNIST_FILES[split]]
# (train, test) rows of the image sets these tests make: enough to exercise every code path.
TINY = {"mnist": (300, 100), "fashion_mnist": (300, 100), "cifar10": (250, 50)}
CIFAR_NAMES = [*datasets.CIFAR_FILES["train"], *datasets.CIFAR_FILES["test"], datasets.CIFAR_META]


def provision(*args: str) -> str:
    out = io.StringIO()
    call_command("provision_datasets", *args, stdout=out)
    return out.getvalue()


def snapshot(directory: Path) -> dict[str, str]:
    """Every file and directory under ``directory`` with its content's digest."""
    if not directory.exists():
        return {}
    return {
        str(path.relative_to(directory)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        )
        for path in sorted(directory.rglob("*"))
    }


def status_rows(output: str) -> dict[str, list[str]]:
    """The report's table: set name -> [state, source, train, test, ...]."""
    rows = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in datasets.NAMES:
            rows[words[0]] = words[1:]
    return rows


def without_manifests(files: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in files.items() if not k.endswith(datasets.MANIFEST_NAME)}


@pytest.fixture
def generated_store(tmp_path) -> Path:
    store = tmp_path / "store"
    dataset_store.generate(store, sizes=TINY)
    return store


@pytest.fixture
def incoming(tmp_path) -> Path:
    """An admin's directory in the published formats (content generated): MNIST's .gz files
    under a torchvision root, CIFAR-10's tar.gz (with one hostile member), scikit-learn's
    digits file."""
    made = tmp_path / "made"
    dataset_store.generate(made, seed=7, names=["mnist", "cifar10", "digits"], sizes=TINY)
    source = tmp_path / "incoming"
    (source / "MNIST" / "raw").mkdir(parents=True)
    for name in MNIST_GZ:
        raw = (made / "MNIST" / "raw" / name[:-3]).read_bytes()
        (source / "MNIST" / "raw" / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=0))
    with tarfile.open(source / dataset_store.CIFAR_ARCHIVE, "w:gz", compresslevel=1) as tar:
        for name in CIFAR_NAMES:
            tar.add(made / datasets.CIFAR_DIR / name, f"{datasets.CIFAR_DIR}/{name}")
        evil = tarfile.TarInfo("../escaped.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    (source / "sklearn").mkdir()
    shutil.copy(made / "digits" / "digits.csv.gz", source / "sklearn" / "digits.csv.gz")
    return source


def table_for(source: Path) -> dataset_store.ChecksumTable:
    """Published checksums that the files of ``incoming`` match (as the real ones match the
    real table): md5 for torchvision's files, sha256 for scikit-learn's."""
    table = {}
    for name in MNIST_GZ:
        digest = dataset_store.file_digest(source / "MNIST" / "raw" / name, "md5")
        table[f"mnist/{name}"] = dataset_store.Published("md5", frozenset({digest}))
    archive = source / dataset_store.CIFAR_ARCHIVE
    table[f"cifar10/{archive.name}"] = dataset_store.Published(
        "md5", frozenset({dataset_store.file_digest(archive, "md5")})
    )
    with tarfile.open(archive) as tar:
        for name in CIFAR_NAMES:
            data = tar.extractfile(f"{datasets.CIFAR_DIR}/{name}").read()
            digest = hashlib.md5(data).hexdigest()  # noqa: S324 -- as torchvision publishes them
            table[f"cifar10/{name}"] = dataset_store.Published("md5", frozenset({digest}))
    digits = dataset_store.file_digest(source / "sklearn" / "digits.csv.gz", "sha256")
    table["digits/digits.csv.gz"] = dataset_store.Published("sha256", frozenset({digits}))
    return table


@pytest.fixture
def trusted_incoming(incoming, monkeypatch) -> Path:
    """``incoming`` with a checksum table that it matches, and the row counts of its sets
    taken as the published ones (the real sets are not available offline)."""
    table = table_for(incoming)
    monkeypatch.setattr(dataset_store, "published_checksums", lambda: table)
    counts = dict(dataset_store.PUBLISHED_COUNTS)
    counts["mnist"] = dict(zip(("train", "test"), TINY["mnist"], strict=True))
    counts["cifar10"] = dict(zip(("train", "test"), TINY["cifar10"], strict=True))
    monkeypatch.setattr(dataset_store, "PUBLISHED_COUNTS", counts)
    return incoming


# --- generated sets -------------------------------------------------------------------------


def test_generate_writes_every_set_in_the_real_layout_and_reports_it(tmp_path):
    store = tmp_path / "store"
    output = provision("--generate", "--store", str(store))
    assert "generated: mnist, fashion_mnist, cifar10, breast_cancer, diabetes, digits" in output
    for layout in datasets.LAYOUTS.values():
        for relative in layout.files:
            assert (store / relative).is_file(), relative
        manifest = json.loads((store / layout.directory / datasets.MANIFEST_NAME).read_text())
        assert manifest["source"] == "generated" and manifest["seed"] == 0
        assert sorted(manifest["files"]) == sorted(layout.files)
    lines = {name: row[:4] for name, row in status_rows(output).items()}
    assert lines["mnist"] == ["installed", "generated", "6000", "1000"]
    assert lines["cifar10"] == ["installed", "generated", "5000", "1000"]
    assert lines["digits"] == ["installed", "generated", "1348", "449"]
    assert not list(store.glob(".staging-*"))
    # Readable by the job users (other uids than the one that provisioned).
    assert all(p.stat().st_mode & 0o004 for p in store.rglob("*"))


def test_the_same_seed_gives_the_same_files(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        dataset_store.generate(tmp_path / name, seed=seed, names=["fashion_mnist", "diabetes"])
    first, second, other = (without_manifests(snapshot(tmp_path / n)) for n in "abc")
    assert first == second
    assert set(first) == set(other) and first != other


def test_generate_fills_missing_sets_only_unless_forced(tmp_path):
    store = tmp_path / "store"
    provision("--generate", "--only", "digits", "--seed", "1", "--store", str(store))
    digits = snapshot(store / "digits")
    output = provision("--generate", "--if-empty", "--store", str(store))
    assert "already holds datasets; nothing generated" in output
    assert not (store / "MNIST").exists()
    output = provision("--generate", "--seed", "2", "--store", str(store))
    assert "skipped digits: already present" in output
    assert snapshot(store / "digits") == digits and (store / "MNIST").is_dir()
    provision("--generate", "--force", "--only", "digits", "--seed", "2", "--store", str(store))
    assert without_manifests(snapshot(store / "digits")) != without_manifests(digits)


# --- published files ------------------------------------------------------------------------


def test_published_files_are_installed_over_generated_ones(generated_store, trusted_incoming):
    output = provision("--from", str(trusted_incoming), "--store", str(generated_store))
    assert "installed: mnist, cifar10, digits" in output
    assert "skipped fashion_mnist: no files of it in the source directory" in output
    raw = generated_store / "MNIST" / "raw"
    for name in MNIST_GZ:  # the published .gz kept beside what torchvision reads
        assert (raw / name).read_bytes() == (trusted_incoming / "MNIST" / "raw" / name).read_bytes()
        assert (raw / name[:-3]).read_bytes() == gzip.decompress((raw / name).read_bytes())
    for name in ("MNIST", "cifar-10-batches-py", "digits"):
        manifest = json.loads((generated_store / name / datasets.MANIFEST_NAME).read_text())
        assert manifest["source"] == "published"
    x, y = datasets.load("cifar10", "test", root=generated_store)
    made = datasets.load("cifar10", "test", root=trusted_incoming.parent / "made")
    assert x.equal(made.x) and y.equal(made.y)
    assert sorted(p.name for p in (generated_store / "cifar-10-batches-py").iterdir()) == sorted(
        [*CIFAR_NAMES, datasets.MANIFEST_NAME]
    )
    assert not (generated_store / "escaped.txt").exists()
    assert not (trusted_incoming.parent / "escaped.txt").exists()
    status = provision("--status", "--verify", "--store", str(generated_store))
    rows = status_rows(status)
    assert rows["mnist"][:4] == ["installed", "published", "300", "100"]
    assert rows["cifar10"][:4] == ["installed", "published", "250", "50"]
    assert rows["fashion_mnist"][:2] == ["installed", "generated"]


def test_a_corrupted_file_is_refused_and_nothing_changes(generated_store, incoming):
    """The real published checksums: the generated stand-ins cannot match them."""
    before = snapshot(generated_store)
    with pytest.raises(CommandError) as refused:
        provision("--from", str(incoming), "--store", str(generated_store))
    message = str(refused.value)
    assert message.startswith("refused, nothing was changed")
    assert "MNIST/raw/train-images-idx3-ubyte.gz: md5 is " in message
    assert "the published md5 is f68b3c2dcbeaaa9fbdd348bbdeb94873" in message  # torchvision's
    assert "cifar-10-python.tar.gz: md5 is" in message
    assert "sklearn/digits.csv.gz: sha256 is" in message
    assert snapshot(generated_store) == before


def test_a_truncated_copy_stops_the_whole_run(generated_store, trusted_incoming):
    before = snapshot(generated_store)
    archive = trusted_incoming / dataset_store.CIFAR_ARCHIVE
    archive.write_bytes(archive.read_bytes()[:-1000])  # a partial copy
    with pytest.raises(CommandError) as refused:
        provision("--from", str(trusted_incoming), "--store", str(generated_store))
    assert "cifar-10-python.tar.gz: md5 is" in str(refused.value)
    assert "MNIST" not in str(refused.value)  # the good sets are not installed either
    assert snapshot(generated_store) == before


def test_a_file_that_matches_its_checksum_but_is_not_the_set_is_refused(
    generated_store, trusted_incoming, monkeypatch
):
    before = snapshot(generated_store)
    bad = trusted_incoming / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (10**6).to_bytes(4, "big") + b"\x01"))
    table = table_for(trusted_incoming)
    monkeypatch.setattr(dataset_store, "published_checksums", lambda: table)
    with pytest.raises(CommandError) as refused:
        provision("--from", str(trusted_incoming), "--store", str(generated_store))
    assert "MNIST/raw/t10k-labels-idx1-ubyte: mnist does not read back" in str(refused.value)
    assert snapshot(generated_store) == before
    assert not list(generated_store.glob(".staging-*"))


def test_an_incomplete_set_is_refused(generated_store, trusted_incoming):
    before = snapshot(generated_store)
    (trusted_incoming / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(CommandError) as refused:
        provision("--from", str(trusted_incoming), "--store", str(generated_store))
    assert "MNIST/raw: mnist is incomplete, missing train-labels-idx1-ubyte.gz" in str(
        refused.value
    )
    assert snapshot(generated_store) == before


def test_bad_requests_are_refused(tmp_path):
    store = tmp_path / "store"
    (tmp_path / "empty").mkdir()
    for args, expected in (
        (["--from", str(tmp_path / "nowhere")], "not a directory"),
        (["--from", str(tmp_path / "empty")], "no dataset files found"),
        (["--generate", "--only", "mnist,imagenet"], "unknown dataset(s): imagenet"),
    ):
        with pytest.raises(CommandError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            provision(*args, "--store", str(store))
    assert snapshot(store) in ({}, {".provision.lock": hashlib.sha256(b"").hexdigest()})


def test_the_published_checksums_cover_every_file_the_installer_reads():
    table = dataset_store.published_checksums()
    expected = {f"{name}/{f}" for name in ("mnist", "fashion_mnist") for f in MNIST_GZ}
    expected |= {f"cifar10/{f}" for f in [dataset_store.CIFAR_ARCHIVE, *CIFAR_NAMES]}
    expected |= {f"{n}/{f}" for n, files in dataset_store.SKLEARN_FILES.items() for f in files}
    assert set(table) == expected
    for key, published in table.items():
        length = {"md5": 32, "sha256": 64}[published.algorithm]
        assert published.digests and all(len(d) == length for d in published.digests), key
    # MNIST and Fashion-MNIST share file names, never checksums.
    assert (
        table["mnist/train-images-idx3-ubyte.gz"]
        != table["fashion_mnist/train-images-idx3-ubyte.gz"]
    )


def test_a_wheel_record_digest_is_read_as_sha256():
    digest = hashlib.sha256(b"breast_cancer").digest()
    record = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert dataset_store._record_to_hex(record) == digest.hex()


# --- status ------------------------------------------------------------------------------


def test_status_of_an_empty_store_says_every_set_is_missing(tmp_path):
    output = provision("--store", str(tmp_path / "none"))
    assert "grading jobs see it read-only at /datasets" in output
    assert {name: row[0] for name, row in status_rows(output).items()} == dict.fromkeys(
        datasets.NAMES, "missing"
    )
    assert dataset_store.store_is_empty(tmp_path / "none")


def test_status_names_what_jobs_cannot_read_and_what_changed(generated_store):
    labels = generated_store / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    labels.chmod(0o600)
    output = provision("--status", "--store", str(generated_store))
    assert (
        "MNIST/raw/train-labels-idx1-ubyte is not readable by grading jobs (mode -rw-------)"
        in (output)
    )
    labels.chmod(0o644)
    digits = generated_store / "digits" / "digits.csv.gz"
    digits.write_bytes(gzip.compress(b"1,2,3\n"))
    (generated_store / "breast_cancer" / "breast_cancer.csv").unlink()
    output = provision("--status", "--verify", "--store", str(generated_store))
    states = {name: row[0] for name, row in status_rows(output).items()}
    assert states["digits"] == "damaged" and states["breast_cancer"] == "incomplete"
    assert states["mnist"] == "installed"
    assert "digits/digits.csv.gz differs from what was installed" in output
    assert "missing breast_cancer/breast_cancer.csv" in output


def test_status_warns_when_the_sandbox_would_refuse_the_store():
    from grading.sandbox.isolation import project_root

    output = provision("--status", "--store", str(project_root()))
    assert "the sandbox will not mount it" in output


def test_a_set_is_replaced_where_the_file_system_cannot_exchange_paths(tmp_path, monkeypatch):
    store = tmp_path / "store"
    dataset_store.generate(store, seed=1, names=["digits", "diabetes"])
    before = without_manifests(snapshot(store))
    monkeypatch.setattr(dataset_store, "_exchange", lambda first, second: False)
    dataset_store.generate(store, seed=2, names=["digits", "diabetes"], replace=True)
    after = without_manifests(snapshot(store))
    assert set(after) == set(before) and after != before
    assert sorted(p.name for p in store.iterdir()) == [
        ".provision.lock",
        dataset_store.RUN_VIEW_DIR,
        "diabetes",
        "digits",
    ]
    assert datasets.load("digits", "test", root=store).x.shape == (449, 64)
