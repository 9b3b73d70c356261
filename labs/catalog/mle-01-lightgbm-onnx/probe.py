"""Runs inside the sandbox, next to the learner's code: trains the learner's model on the
training rows it is given and hands off what check.py needs: the ONNX file that
train_and_export wrote, and the returned model's booster in LightGBM's own text format (data,
not a pickle). The held-out rows never enter this sandbox; check.py runs both models on them,
in a clean sandbox. onnx_predict is called on rows drawn per job, which check.py also runs
through the same ONNX file."""

import numpy as np

try:
    from lightgbm import LGBMClassifier as _LGBMClassifier
except ImportError:  # the lab environment has it; without it the type claim simply fails
    _LGBMClassifier = None

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_str = str
_open = open
_ndarray = np.ndarray


def _describe(value) -> dict:
    return {"type": _type(value).__name__}


def run(solution, observe, inputs):
    onnx_path = observe.handoff("model.onnx")
    model = None

    with observe("trained") as seen:
        model = solution.train_and_export(
            inputs["X_train"].copy(), inputs["y_train"].copy(), onnx_path
        )
        lgbm = _LGBMClassifier is not None and _isinstance(model, _LGBMClassifier)
        seen.value = {**_describe(model), "lgbm": bool(lgbm)}

    with observe("native") as seen:
        # The model as LightGBM itself stores it: check.py loads it with lightgbm.Booster.
        text = model.booster_.model_to_string()
        if not _isinstance(text, _str):
            raise TypeError("model_to_string() did not return text")
        with _open(observe.handoff("native.txt"), "w", encoding="utf-8") as f:
            f.write(text)
        seen.value = True

    with observe("predicted") as seen:
        labels = solution.onnx_predict(onnx_path, inputs["X_probe"].copy())
        if _isinstance(labels, _ndarray) and labels.dtype.kind in "biuf":
            seen.value = labels
        elif _isinstance(labels, _ndarray):
            seen.value = {"type": f"ndarray of {labels.dtype}"}
        else:
            seen.value = _describe(labels)
