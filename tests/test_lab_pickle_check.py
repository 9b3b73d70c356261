"""The pipeline lab (mle-03) reloads the learner's joblib files only in the clean check step,
and even there a pickle cannot run code: its unpickler admits scikit-learn's estimator classes,
NumPy's arrays, dtypes and scalar types and a few plain builtins, and nothing else (not a
function, not os.system, not a class of the learner's module, not protocol 4's dotted names)."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from django.conf import settings

from grading.engine import grade_source
from labs.catalog import load_lab
from tests.test_sandbox_support import requires_root

SLUG = "mle-03-sklearn-pipeline"
FOLDER = Path(settings.LAB_CATALOG_DIR) / SLUG


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("mle03_check", FOLDER / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fitted_pipeline():
    reference = importlib.util.spec_from_file_location("mle03_reference", FOLDER / "reference.py")
    module = importlib.util.module_from_spec(reference)
    reference.loader.exec_module(module)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=60), "n": rng.integers(0, 9, 60), "c": rng.choice(["x", "y"], 60)}
    )
    frame["t"] = (frame["a"] > 0).astype(int)
    return module.build_pipeline(frame, "t").fit(frame.drop(columns=["t"]), frame["t"]), frame


@pytest.mark.parametrize("compress", [0, 3])
def test_a_fitted_pipeline_loads_and_predicts(check, tmp_path, compress):
    pipeline, frame = fitted_pipeline()
    path = tmp_path / "model.joblib"
    joblib.dump(pipeline, path, compress=compress)
    loaded = check.safe_load(str(path))
    features = frame.drop(columns=["t"])
    assert (loaded.predict(features) == pipeline.predict(features)).all()


class Payload:
    def __reduce__(self):
        return (exec, ("open('/tmp/pwned-by-pickle', 'w').write('x')",))


class Shell:
    def __reduce__(self):
        import os

        return (os.system, ("true",))


def dotted_global() -> bytes:
    """Protocol 4: STACK_GLOBAL("sklearn.base", "os.system") reaches os through an attribute."""

    def text(value: str) -> bytes:
        return b"\x8c" + bytes([len(value)]) + value.encode()

    return (
        b"\x80\x04" + text("sklearn.base") + text("os.system") + b"\x93"
        + text("true") + b"\x85R."
    )  # fmt: skip


WRITERS = {
    "exec": (lambda path: joblib.dump(Payload(), path), "builtins.exec"),
    "os.system": (lambda path: joblib.dump(Shell(), path), "posix.system"),
    "a builtin function": (lambda path: path.write_bytes(pickle.dumps(len)), "builtins.len"),
    "a dotted name": (lambda path: path.write_bytes(dotted_global()), "sklearn.base.os.system"),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_pickle_that_would_run_code_is_refused(check, tmp_path, kind):
    write, refused = WRITERS[kind]
    path = tmp_path / "model.joblib"
    write(path)
    with pytest.raises(check.RefusedClass, match=refused.replace(".", r"\.")):
        check.safe_load(str(path))
    assert not Path("/tmp/pwned-by-pickle").exists()


EXEC_PAYLOAD = (
    (FOLDER / "reference.py").read_text(encoding="utf-8")
    + """

class _Payload:
    def __reduce__(self):
        # Would forge the check's record of the saved model, were it ever unpickled there.
        return (exec, ("import os; os.write(3, b'\\\\n{}\\\\n')",))


def train_and_save(csv_path, target, model_path):
    import joblib

    joblib.dump(_Payload(), model_path)
    return 0.9
"""
)


@pytest.mark.integration
@requires_root
def test_a_submission_whose_file_would_run_code_in_the_check_step_fails_saved_model():
    result = grade_source(load_lab(SLUG), EXEC_PAYLOAD, seed=4)
    tests = {test.name: test for test in result.tests}
    assert tests["pipeline_accuracy"].passed
    assert not tests["saved_model"].passed
    assert "builtins.exec" in tests["saved_model"].message
    assert not tests["reported_accuracy"].passed
