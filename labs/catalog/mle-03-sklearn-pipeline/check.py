"""The clean step of the pipeline lab: grader code only, in a sandbox of its own, over the two
joblib files of the run step (``handoff/``): the grader's fit of build_pipeline's pipeline and
the file train_and_save wrote. Each is reloaded and predicts the held-out rows, which never
entered the learner's sandbox; their labels never enter this one either (the judge has them).

A joblib file is a pickle, and a pickle can name any callable to run while it loads. So the
files are read by joblib's own unpickler restricted to what a fitted pipeline holds:
scikit-learn's estimator classes (subclasses of BaseEstimator, not functions), NumPy's arrays,
dtypes and scalar types, and a few plain builtins. Anything else (a function, a class of the
learner's module, os.system) stops the load with the name it asked for."""

import io
import os

import numpy as np
import pandas as pd
import sklearn
from joblib import numpy_pickle
from sklearn.base import BaseEstimator

SAFE_BUILTINS = {"slice", "set", "frozenset", "complex", "bytearray", "range"}
SAFE_NUMPY = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
}


class RefusedClass(Exception):
    pass


class _SafeUnpickler(numpy_pickle.NumpyUnpickler):
    """joblib's unpickler, admitting only what a fitted scikit-learn pipeline is made of.
    (joblib routes the nested pickles of object arrays through this find_class too.)"""

    def find_class(self, module, name):
        if "." in name:  # protocol 4's dotted names reach attributes of attributes
            raise RefusedClass(f"{module}.{name}")
        if module == "builtins" and name in SAFE_BUILTINS:
            return super().find_class(module, name)
        if (module, name) in SAFE_NUMPY:
            return super().find_class(module, name)
        if module == "numpy" or module.startswith("sklearn."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (
                issubclass(found, np.generic) or issubclass(found, BaseEstimator)
            ):
                return found
        raise RefusedClass(f"{module}.{name}")


def safe_load(path):
    with (
        open(path, "rb") as handle,
        numpy_pickle._validate_fileobject_and_memmap(handle, path, None) as (fobj, _),
    ):
        if isinstance(fobj, str):
            raise RefusedClass("a joblib file of the format before joblib 0.10")
        return _SafeUnpickler(path, fobj, ensure_native_byte_order=True).load()


def _labels(predictions, rows):
    values = np.asarray(predictions)
    if values.shape != (rows,):
        raise ValueError(f"predict returned shape {list(values.shape)} for {rows} rows")
    if values.dtype.kind not in "biuf":
        raise ValueError(f"predict returned {values.dtype} values, not class labels 0/1")
    return values.astype(np.int64)


def _predict(path, frames):
    if not os.path.exists(path):
        return {"problem": "missing"}
    try:
        model = safe_load(path)
    except RefusedClass as refused:
        return {
            "problem": "load",
            "detail": f"the file holds {refused}, not scikit-learn's estimators and arrays only",
        }
    except Exception as error:
        return {"problem": "load", "detail": f"{type(error).__name__}: {error}"[:300]}
    results = {}
    for name, frame in frames.items():
        try:
            results[name] = _labels(model.predict(frame), len(frame))
        except Exception as error:
            text = f"{type(error).__name__}: {error}"
            results[name] = {"error": text[:300], "unknown_category": "unknown categor" in text}
    return {"predictions": results["seen"], "unseen": results["unseen"]}


def run(observe, inputs, handoff):
    sklearn.set_config(assume_finite=False)
    frames = {}
    for name in ("seen", "unseen"):
        with open(inputs[f"{name}_csv"], "rb") as handle:
            frames[name] = pd.read_csv(io.BytesIO(handle.read()))
    for observation, file in (("built_predictions", "built.joblib"),
                              ("saved_predictions", "model.joblib")):  # fmt: skip
        with observe(observation) as seen:
            seen.value = _predict(os.path.join(handoff, file), frames)
