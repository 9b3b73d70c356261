"""The clean step of the ONNX pipeline lab: grader code only, in a sandbox of its own, over the
files the learner's save_model and export_onnx wrote and the traced graph of predict
(``handoff/``), on inputs that never entered the learner's sandbox. It reports outputs; the
judge compares them outside.

No learner code runs here, and nothing of the learner's can be imported: the files are read
as data (``torch.load(weights_only=True)``, ``onnx.load``, onnxruntime)."""

import os

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn.functional as F

# The grader's model (labs/catalog/dl-10-mlops-onnx-pipeline/probe.py: GraderNet), as the
# exact set of state_dict entries a saved model must hold, and its forward pass.
SHAPES = {
    "net.0.weight": (16, 8),
    "net.0.bias": (16,),
    "net.1.weight": (16,),
    "net.1.bias": (16,),
    "net.1.running_mean": (16,),
    "net.1.running_var": (16,),
    "net.1.num_batches_tracked": (),
    "net.4.weight": (3, 16),
    "net.4.bias": (3,),
}


def _forward(state, x):
    hidden = F.linear(x, state["net.0.weight"], state["net.0.bias"])
    hidden = F.batch_norm(
        hidden,
        state["net.1.running_mean"],
        state["net.1.running_var"],
        state["net.1.weight"],
        state["net.1.bias"],
        training=False,
        eps=1e-5,
    )
    return F.linear(torch.relu(hidden), state["net.4.weight"], state["net.4.bias"])


def _saved_outputs(path, x):
    if not os.path.exists(path):
        return {"problem": "missing"}
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:
        return {"problem": "not_weights_only", "detail": type(error).__name__}
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        return {"problem": "not_state_dict", "type": type(state).__name__}
    missing = sorted(set(SHAPES) - set(state))
    unexpected = sorted(set(state) - set(SHAPES))
    if missing or unexpected:
        return {"problem": "keys", "missing": missing, "unexpected": unexpected}
    wrong = sorted(key for key, shape in SHAPES.items() if tuple(state[key].shape) != shape)
    if wrong:
        return {"problem": "shapes", "keys": wrong}
    floats = {key: value.to(torch.float32) for key, value in state.items()}
    with torch.no_grad():
        return {"values": _forward(floats, torch.from_numpy(x)).to(torch.float64).numpy()}


def _session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _predict_outputs(path, x):
    """predict, traced around the grader's model in the learner's sandbox, run on new inputs."""
    if not os.path.exists(path):
        return {"error": "no graph"}
    try:
        session = _session(path)
        result = session.run(None, {session.get_inputs()[0].name: x})[0]
        return np.asarray(result, dtype=np.float64)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"[:300]}


def run(observe, inputs, handoff):
    x = inputs["x"]

    with observe("predict_outputs") as seen:
        seen.value = _predict_outputs(os.path.join(handoff, "predict.onnx"), inputs["x_predict"])

    with observe("saved_outputs") as seen:
        seen.value = _saved_outputs(os.path.join(handoff, "saved.pt"), x)

    path = os.path.join(handoff, "model.onnx")
    if not os.path.exists(path):
        for name in ("onnx_checker", "onnx_batch_dim", "onnx_outputs"):
            with observe(name) as seen:
                seen.value = {"problem": "missing"}
        return
    with observe("onnx_checker") as seen:
        try:
            onnx.checker.check_model(path)
            seen.value = {"valid": True}
        except Exception as error:
            seen.value = {"valid": False, "detail": f"{type(error).__name__}: {error}"[:300]}

    with observe("onnx_batch_dim") as seen:
        graph = onnx.load(path, load_external_data=False).graph
        dims = graph.input[0].type.tensor_type.shape.dim
        first = dims[0] if dims else None
        seen.value = {
            "param": first.dim_param if first is not None else "",
            "value": first.dim_value if first is not None else 0,
        }

    with observe("onnx_outputs") as seen:
        session = _session(path)
        name = session.get_inputs()[0].name
        outputs = {}
        for batch in (1, 5):
            try:
                result = session.run(None, {name: np.ascontiguousarray(x[:batch])})[0]
                outputs[str(batch)] = np.asarray(result, dtype=np.float64)
            except Exception as error:
                outputs[str(batch)] = {"error": f"{type(error).__name__}: {error}"[:300]}
        seen.value = outputs
