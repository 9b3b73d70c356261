"""The clean step of the LightGBM-to-ONNX lab: grader code only, in a sandbox of its own, over
the files the run step handed off (``handoff/model.onnx``, written by the learner's
train_and_export, and ``handoff/native.txt``, the returned model's booster in LightGBM's text
format). It runs both on the held-out rows, which never entered the learner's sandbox, and the
ONNX model on the rows onnx_predict was given; it reports labels only. The held-out labels
stay with the judge.

No learner code runs here and nothing of the learner's is imported: the ONNX file is run by
onnxruntime, and the booster is parsed by LightGBM as the text it is."""

import os

import numpy as np

MAX_ERROR = 300


def _error(error: Exception) -> dict:
    return {"error": f"{type(error).__name__}: {error}"[:MAX_ERROR]}


def _as_labels(values, rows: int):
    labels = np.asarray(values)
    if labels.size != rows:
        return {"error": f"the model gave {labels.size} values for {rows} rows"}
    labels = labels.reshape(rows)
    if labels.dtype.kind not in "biuf":
        return {"error": f"labels of type {labels.dtype}, not numbers"}
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels == np.round(labels))):
        return {"error": "fractional labels"}
    return labels.astype(np.int64)


def _session(path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # converters declare the label's shape as [1]: no warnings
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _onnx_labels(session, x: np.ndarray):
    """The class labels an ONNX classifier gives: the output named "label" (what skl2onnx and
    onnxmltools write), else the first output."""
    try:
        inputs = session.get_inputs()
        if len(inputs) != 1:
            return {"error": f"the model has {len(inputs)} inputs, not one"}
        names = [output.name for output in session.get_outputs()]
        name = "label" if "label" in names else names[0]
        result = session.run([name], {inputs[0].name: x})[0]
        return _as_labels(result, len(x))
    except Exception as error:
        return _error(error)


def _native_labels(path: str, x: np.ndarray):
    """What LGBMClassifier.predict gives: class 1 where the probability exceeds 0.5 (binary),
    else the most probable class."""
    import lightgbm

    with open(path, encoding="utf-8") as f:
        booster = lightgbm.Booster(model_str=f.read())
    if booster.num_feature() != x.shape[1]:
        return {"error": f"the model takes {booster.num_feature()} features, not {x.shape[1]}"}
    scores = np.asarray(booster.predict(x.astype(np.float64), num_threads=1))
    if scores.ndim == 2:
        return _as_labels(np.argmax(scores, axis=1), len(x))
    return _as_labels((scores > 0.5).astype(np.int64), len(x))


def run(observe, inputs, handoff):
    native = os.path.join(handoff, "native.txt")
    with observe("native_test") as seen:
        if not os.path.exists(native):
            seen.value = {"error": "no model"}
        else:
            try:
                seen.value = _native_labels(native, inputs["X_test"])
            except Exception as error:
                seen.value = _error(error)

    path = os.path.join(handoff, "model.onnx")
    session = None
    if os.path.exists(path):
        try:
            session = _session(path)
        except Exception as error:
            session = _error(error)
    else:
        session = {"error": "train_and_export did not write the ONNX file"}
    for name, rows in (("onnx_test", inputs["X_test"]), ("onnx_probe", inputs["X_probe"])):
        with observe(name) as seen:
            seen.value = session if isinstance(session, dict) else _onnx_labels(session, rows)
