"""The clean step of the ONNX export lab: grader code only, in a sandbox of its own, over the
files the learner's export_to_onnx wrote (``handoff/mlp.onnx``, ``handoff/cnn.onnx`` and any
``.data`` side files), run with onnxruntime on batch sizes and inputs that never entered the
learner's sandbox. It reports what it saw; the judge compares outputs outside.

No learner code runs here, and nothing of the learner's can be imported: the files are read
as data (``onnx.load``, ``onnx.checker``, onnxruntime)."""

import os

import numpy as np
import onnx
import onnxruntime

BATCHES = (1, 7)


def _session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _error(error) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _checker(path) -> dict:
    try:
        onnx.checker.check_model(path)
        return {"valid": True}
    except Exception as error:
        return {"valid": False, "detail": _error(error)}


def _batch_dim(path) -> dict:
    try:
        graph = onnx.load(path, load_external_data=False).graph
    except Exception as error:
        return {"problem": "unreadable", "detail": _error(error)}
    if len(graph.input) == 0:
        return {"problem": "no_input"}
    dims = graph.input[0].type.tensor_type.shape.dim
    first = dims[0] if dims else None
    return {
        "param": first.dim_param if first is not None else "",
        "value": first.dim_value if first is not None else 0,
        "rank": len(dims),
    }


def _outputs(path, x) -> dict:
    try:
        session = _session(path)
        name = session.get_inputs()[0].name
    except Exception as error:
        return {"error": _error(error)}
    outputs = {}
    for batch in BATCHES:
        try:
            result = session.run(None, {name: np.ascontiguousarray(x[:batch])})[0]
            outputs[str(batch)] = np.asarray(result, dtype=np.float64)
        except Exception as error:
            outputs[str(batch)] = {"error": _error(error)}
    return outputs


def run(observe, inputs, handoff):
    for name in ("mlp", "cnn"):
        path = os.path.join(handoff, f"{name}.onnx")
        exists = os.path.exists(path)
        with observe(f"{name}_checker") as seen:
            seen.value = _checker(path) if exists else {"problem": "missing"}
        with observe(f"{name}_batch_dim") as seen:
            seen.value = _batch_dim(path) if exists else {"problem": "missing"}
        with observe(f"{name}_outputs") as seen:
            seen.value = _outputs(path, inputs[f"x_{name}"]) if exists else {"problem": "missing"}
