"""The trusted half of the ONNX export lab (contract: labs/grader_api.py).

The grader's MLP and CNN (probe.py) get weights drawn per job from the secret stream; the
weights enter the learner's sandbox as data, their outputs never do. The learner's
export_to_onnx writes each model to a file from an example batch whose size is drawn per
job; check.py opens the files in a clean sandbox and runs them with onnxruntime on batches of
1 and 7 rows drawn from the secret stream, sizes the learner's process never saw, so a file
with the example's batch size built in fails there. run_onnx gets an ONNX file this judge
writes with onnx.helper (a third model whose weights exist only inside that file, under an
input name drawn per job), so its outputs cannot be had without running the file. Every
expected output is computed here with NumPy in float64.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, Draw, Prepared, Test, Verdict, message
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function("export_to_onnx", ("model", "example_input", "path")),
    Function("run_onnx", ("path", "x")),
]

# onnxruntime against the float64 forward here: the reference's largest difference over 25
# draws was 1.7e-7 (`manage.py lab_margins dl-14-onnx-export-ort --seeds 25`).
TOLERANCE = 1e-5
BATCHES = (1, 7)  # check.py's batch sizes; the example batch is never one of them
EXAMPLE_BATCHES = (2, 3, 4, 5, 6)
EPS = 1e-5
MLP_IN, CNN_SHAPE = 10, (3, 12, 12)
INPUT_NAMES = ("features", "x", "data", "obs", "inputs", "tensor_in")

TESTS = [
    Test("mlp_matches", 3, _("ONNX of the MLP matches PyTorch"), CORE,
         uses=("exported_mlp", "check:mlp_outputs")),
    Test("cnn_matches", 3, _("ONNX of the CNN matches PyTorch"), CORE,
         uses=("exported_cnn", "check:cnn_outputs")),
    Test("run_onnx", 2, _("Inference with onnxruntime"), CORE, uses=("run_onnx",)),
    Test("onnx_valid", 1, _("Valid ONNX"), CLAIM,
         uses=("exported_mlp", "exported_cnn", "check:mlp_checker", "check:cnn_checker")),
    Test("dynamic_batch", 1, _("Dynamic batch"), CLAIM,
         uses=("exported_mlp", "exported_cnn", "check:mlp_batch_dim", "check:cnn_batch_dim")),
]  # fmt: skip


# --- the grader's models ---------------------------------------------------------------------


def _uniform(rng: np.random.Generator, fan_in: int, *shape: int) -> np.ndarray:
    bound = fan_in**-0.5
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def _batch_norm(rng: np.random.Generator, prefix: str, channels: int) -> dict[str, np.ndarray]:
    """BatchNorm parameters and non-trivial running statistics (eval differs from train)."""
    return {
        f"{prefix}.weight": rng.uniform(0.5, 1.5, size=channels).astype(np.float32),
        f"{prefix}.bias": rng.normal(0, 0.3, size=channels).astype(np.float32),
        f"{prefix}.running_mean": rng.normal(0, 0.5, size=channels).astype(np.float32),
        f"{prefix}.running_var": rng.uniform(0.5, 1.5, size=channels).astype(np.float32),
        f"{prefix}.num_batches_tracked": np.array(int(rng.integers(1, 1000)), dtype=np.int64),
    }


def mlp_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A state_dict of probe.GraderMLP."""
    return {
        "net.0.weight": _uniform(rng, 10, 32, 10),
        "net.0.bias": _uniform(rng, 10, 32),
        **_batch_norm(rng, "net.1", 32),
        "net.4.weight": _uniform(rng, 32, 16, 32),
        "net.4.bias": _uniform(rng, 32, 16),
        "net.6.weight": _uniform(rng, 16, 4, 16),
        "net.6.bias": _uniform(rng, 16, 4),
    }


def cnn_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A state_dict of probe.GraderCNN."""
    return {
        "net.0.weight": _uniform(rng, 27, 8, 3, 3, 3),
        "net.0.bias": _uniform(rng, 27, 8),
        **_batch_norm(rng, "net.1", 8),
        "net.4.weight": _uniform(rng, 72, 16, 8, 3, 3),
        "net.4.bias": _uniform(rng, 72, 16),
        "net.9.weight": _uniform(rng, 16, 5, 16),
        "net.9.bias": _uniform(rng, 16, 5),
    }


def _f64(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: value.astype(np.float64) for key, value in weights.items()}


def _norm(x: np.ndarray, w: dict, prefix: str, shape: tuple[int, ...]) -> np.ndarray:
    def view(key: str) -> np.ndarray:
        return w[f"{prefix}.{key}"].reshape(shape)

    scaled = (x - view("running_mean")) / np.sqrt(view("running_var") + EPS)
    return scaled * view("weight") + view("bias")


def mlp_forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """probe.GraderMLP in eval mode (dropout off, BatchNorm on its running statistics)."""
    w = _f64(weights)
    hidden = x.astype(np.float64) @ w["net.0.weight"].T + w["net.0.bias"]
    hidden = np.maximum(_norm(hidden, w, "net.1", (1, -1)), 0.0)
    hidden = np.tanh(hidden @ w["net.4.weight"].T + w["net.4.bias"])
    return hidden @ w["net.6.weight"].T + w["net.6.bias"]


def _conv3x3(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Conv2d with a 3x3 kernel, stride 1, padding 1."""
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", windows, weight) + bias.reshape(1, -1, 1, 1)


def cnn_forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """probe.GraderCNN in eval mode."""
    w = _f64(weights)
    hidden = _conv3x3(x.astype(np.float64), w["net.0.weight"], w["net.0.bias"])
    hidden = np.maximum(_norm(hidden, w, "net.1", (1, -1, 1, 1)), 0.0)
    n, c, h, width = hidden.shape
    hidden = hidden.reshape(n, c, h // 2, 2, width // 2, 2).max(axis=(3, 5))
    hidden = np.maximum(_conv3x3(hidden, w["net.4.weight"], w["net.4.bias"]), 0.0)
    pooled = hidden.mean(axis=(2, 3))
    return pooled @ w["net.9.weight"].T + w["net.9.bias"]


# --- the file run_onnx gets ------------------------------------------------------------------


def run_model(rng: np.random.Generator, public) -> dict:
    """A small MLP (Gemm, Relu, Gemm) with sizes and an input name drawn per job."""
    sizes = (public.randint(5, 12), public.randint(12, 24), public.randint(2, 5))
    return {
        "name": public.choice(INPUT_NAMES),
        "w1": _uniform(rng, sizes[0], sizes[1], sizes[0]),
        "b1": _uniform(rng, sizes[0], sizes[1]),
        "w2": _uniform(rng, sizes[1], sizes[2], sizes[1]),
        "b2": _uniform(rng, sizes[1], sizes[2]),
    }


def run_model_forward(model: dict, x: np.ndarray) -> np.ndarray:
    w = _f64({key: value for key, value in model.items() if key != "name"})
    hidden = np.maximum(x.astype(np.float64) @ w["w1"].T + w["b1"], 0.0)
    return hidden @ w["w2"].T + w["b2"]


def run_model_file(model: dict) -> bytes:
    """The model as an ONNX file with a symbolic batch dimension (onnx is imported here only)."""
    from onnx import TensorProto, helper, numpy_helper

    inputs = [helper.make_tensor_value_info(model["name"], TensorProto.FLOAT,
                                            ["batch", model["w1"].shape[1]])]  # fmt: skip
    outputs = [helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                             ["batch", model["w2"].shape[0]])]  # fmt: skip
    nodes = [
        helper.make_node("Gemm", [model["name"], "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["scores"], transB=1),
    ]
    initializers = [numpy_helper.from_array(model[key], key) for key in ("w1", "b1", "w2", "b2")]
    graph = helper.make_graph(nodes, "grader_mlp", inputs, outputs, initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx_model.ir_version = 8
    return onnx_model.SerializeToString()


# --- the job ---------------------------------------------------------------------------------


def prepare(draw: Draw) -> Prepared:
    rng = draw.secret_np
    weights = {"mlp": mlp_weights(rng), "cnn": cnn_weights(rng)}
    run = run_model(rng, draw.public)
    examples = {
        "mlp": draw.public_np.normal(size=(draw.public.choice(EXAMPLE_BATCHES), MLP_IN)),
        "cnn": draw.public_np.normal(size=(draw.public.choice(EXAMPLE_BATCHES), *CNN_SHAPE)),
    }
    # The clean step's inputs: batches of 1 and 7 are slices of these (secret stream).
    x_check = {
        "mlp": rng.normal(size=(max(BATCHES), MLP_IN)).astype(np.float32),
        "cnn": rng.normal(size=(max(BATCHES), *CNN_SHAPE)).astype(np.float32),
    }
    sizes = [1, draw.public.randint(2, 9)]
    draw.public.shuffle(sizes)
    x_run = [
        draw.public_np.normal(size=(size, run["w1"].shape[1])).astype(np.float32) for size in sizes
    ]
    return Prepared(
        inputs={
            "weights": weights,
            "example_mlp": examples["mlp"].astype(np.float32),
            "example_cnn": examples["cnn"].astype(np.float32),
            "onnx_file": run_model_file(run),
            "x_run": x_run,
        },
        hidden={
            "mlp": mlp_forward(weights["mlp"], x_check["mlp"]),
            "cnn": cnn_forward(weights["cnn"], x_check["cnn"]),
            "run": [run_model_forward(run, x) for x in x_run],
        },
        check_inputs={"x_mlp": x_check["mlp"], "x_cnn": x_check["cnn"]},  # the clean step only
    )


# --- verdicts --------------------------------------------------------------------------------

MODEL_NAMES = {"mlp": "MLP", "cnn": "CNN"}


def _compare(seen, want: np.ndarray, what) -> Verdict:
    try:
        values = np.asarray(seen, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != want.shape:
        return Verdict.fail(
            _("{what}: the output has shape {got}, expected {want}."),
            what=what, got=list(values.shape) if values is not None else None,
            want=list(want.shape),
        )  # fmt: skip
    difference = float(np.max(np.abs(values - want))) if values.size else 0.0
    if not np.isfinite(values).all() or not difference <= TOLERANCE:
        return Verdict.fail(
            _("{what}: outputs differ from the expected ones by {difference:.2e} (tolerance "
              "{tolerance:g})."),
            what=what, difference=difference if np.isfinite(difference) else float("inf"),
            tolerance=TOLERANCE,
        )  # fmt: skip
    return Verdict.ok(
        _("{what}: matches (largest difference {difference:.1e})."), what=what,
        difference=difference,
    ).with_margin(TOLERANCE - difference)  # fmt: skip


def _missing(name: str) -> Verdict:
    return Verdict.fail(
        _("export_to_onnx did not write the file it was given for the {model}."),
        model=MODEL_NAMES[name],
    )


def _judge_outputs(name: str, seen: dict, hidden: dict) -> Verdict:
    if seen.get("problem") == "missing":
        return _missing(name)
    if "error" in seen:
        return Verdict.fail(
            _("onnxruntime could not open the file of the {model}: {error}"),
            model=MODEL_NAMES[name], error=seen.get("error"),
        )  # fmt: skip
    margin = TOLERANCE
    for batch in BATCHES:
        result = seen.get(str(batch))
        if isinstance(result, dict) or result is None:
            return Verdict.fail(
                _("onnxruntime could not run the {model} on a batch of {batch}: {error}"),
                model=MODEL_NAMES[name], batch=batch,
                error=result.get("error") if isinstance(result, dict) else None,
            )  # fmt: skip
        what = message(_("{model}, onnxruntime, batch of {batch}"), model=MODEL_NAMES[name],
                       batch=batch)  # fmt: skip
        verdict = _compare(result, hidden[name][:batch], what)
        if not verdict.passed:
            return verdict
        margin = min(margin, verdict.margin)
    return Verdict.ok(
        _("onnxruntime outputs of the {model} match PyTorch for batches of 1 and 7."),
        model=MODEL_NAMES[name],
    ).with_margin(margin)


def _judge_run(seen, hidden: dict) -> Verdict:
    want = hidden["run"]
    if not isinstance(seen, list) or len(seen) != len(want):
        return Verdict.fail(_("run_onnx did not return one result per call."))
    margin = TOLERANCE
    for result, expected in zip(seen, want, strict=True):
        if not isinstance(result, dict) or not result.get("ndarray"):
            kind = result.get("type") if isinstance(result, dict) else None
            return Verdict.fail(
                _("run_onnx must return a numpy.ndarray (the first output of the model), not "
                  "{kind}."),
                kind=kind,
            )  # fmt: skip
        what = message(_("run_onnx, batch of {batch}"), batch=len(expected))
        verdict = _compare(result.get("values"), expected, what)
        if not verdict.passed:
            return verdict
        margin = min(margin, verdict.margin)
    return Verdict.ok(
        _("run_onnx returns the model's outputs for every batch it was given.")
    ).with_margin(margin)


def _judge_checker(evidence) -> Verdict:
    for name in ("mlp", "cnn"):
        seen = evidence[f"check:{name}_checker"]
        if seen.get("problem") == "missing":
            return _missing(name)
        if seen.get("valid") is not True:
            return Verdict.fail(
                _("The ONNX file of the {model} did not pass onnx.checker: {detail}"),
                model=MODEL_NAMES[name], detail=seen.get("detail"),
            )  # fmt: skip
    return Verdict.ok(_("Both files pass onnx.checker."))


def _judge_batch_dim(evidence) -> Verdict:
    names = []
    for name in ("mlp", "cnn"):
        seen = evidence[f"check:{name}_batch_dim"]
        if seen.get("problem") == "missing":
            return _missing(name)
        if seen.get("problem"):
            return Verdict.fail(
                _("The ONNX file of the {model} declares no input: {detail}"),
                model=MODEL_NAMES[name], detail=seen.get("detail") or seen.get("problem"),
            )  # fmt: skip
        if not seen.get("param"):
            return Verdict.fail(
                _("Input dimension 0 of the {model} is fixed ({value}); it must be symbolic."),
                model=MODEL_NAMES[name], value=seen.get("value"),
            )  # fmt: skip
        names.append(str(seen["param"]))
    return Verdict.ok(_("The batch dimension is symbolic in both files: {names}."), names=names)


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "mlp_matches":
        return _judge_outputs("mlp", evidence["check:mlp_outputs"], hidden)
    if test == "cnn_matches":
        return _judge_outputs("cnn", evidence["check:cnn_outputs"], hidden)
    if test == "run_onnx":
        return _judge_run(evidence["run_onnx"], hidden)
    if test == "onnx_valid":
        return _judge_checker(evidence)
    if test == "dynamic_batch":
        return _judge_batch_dim(evidence)
    raise KeyError(test)
