"""The trusted half of the ONNX pipeline lab (contract: labs/grader_api.py).

Four models of the grader's architecture get weights drawn per job from the secret stream:
one each for save_model, load_model, predict and export_onnx, so that no function can pass by
handing back what another was given. Their weights enter the learner's sandbox as data (the
one for load_model only inside the state_dict file this judge writes, so that its outputs
cannot be had without loading that file); their outputs never do. What save_model and
export_onnx write, and predict traced into an ONNX graph, are opened and run by check.py
in a clean sandbox on inputs drawn from the secret stream that only that step sees. This judge
computes every expected output itself with NumPy.
"""

from __future__ import annotations

import io

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, Draw, Prepared, Test, Verdict, message
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function("save_model", ("model", "path")),
    Function("load_model", ("path", "model_factory")),
    Function("predict", ("model", "x")),
    Function("export_onnx", ("model", "path", "example_input")),
]

TOLERANCE = 1e-5
BATCHES = (1, 5)
EPS = 1e-5

TESTS = [
    Test("save_model", 2, _("Saving a state_dict"), CORE, uses=("saved", "check:saved_outputs")),
    Test("load_model", 2, _("Loading"), CORE, uses=("loaded",)),
    Test("predict", 2, _("Inference"), CORE, uses=("predicted", "check:predict_outputs")),
    Test("onnx_valid", 1, _("Valid ONNX"), CLAIM, uses=("exported", "check:onnx_checker")),
    Test("onnx_dynamic_batch", 1, _("Dynamic batch"), CLAIM,
         uses=("exported", "check:onnx_batch_dim")),
    Test("onnx_matches_torch", 2, _("ONNX matches PyTorch"), CORE,
         uses=("exported", "check:onnx_outputs")),
]  # fmt: skip


def draw_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A state_dict of the grader's model (probe.py: GraderNet) with non-trivial BatchNorm
    statistics, so that train-mode and eval-mode outputs differ."""

    def uniform(bound, *shape):
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    return {
        "net.0.weight": uniform(8**-0.5, 16, 8),
        "net.0.bias": uniform(8**-0.5, 16),
        "net.1.weight": rng.uniform(0.5, 1.5, size=16).astype(np.float32),
        "net.1.bias": rng.normal(0, 0.3, size=16).astype(np.float32),
        "net.1.running_mean": rng.normal(0, 1, size=16).astype(np.float32),
        "net.1.running_var": rng.uniform(0.5, 1.5, size=16).astype(np.float32),
        "net.1.num_batches_tracked": np.array(int(rng.integers(1, 1000)), dtype=np.int64),
        "net.4.weight": uniform(16**-0.5, 3, 16),
        "net.4.bias": uniform(16**-0.5, 3),
    }


def forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model in evaluation mode (dropout off, BatchNorm on its running statistics)."""
    w = {key: value.astype(np.float64) for key, value in weights.items()}
    hidden = x.astype(np.float64) @ w["net.0.weight"].T + w["net.0.bias"]
    hidden = (hidden - w["net.1.running_mean"]) / np.sqrt(w["net.1.running_var"] + EPS)
    hidden = hidden * w["net.1.weight"] + w["net.1.bias"]
    return np.maximum(hidden, 0.0) @ w["net.4.weight"].T + w["net.4.bias"]


def state_dict_file(weights: dict[str, np.ndarray]) -> bytes:
    """A state_dict file as ``torch.save`` writes it (torch is imported here only)."""
    import torch

    buffer = io.BytesIO()
    torch.save({key: torch.from_numpy(value.copy()) for key, value in weights.items()}, buffer)
    return buffer.getvalue()


def prepare(draw: Draw) -> Prepared:
    rng = draw.secret_np
    models = {role: draw_weights(rng) for role in ("save", "load", "predict", "export")}

    def batch(rows: int) -> np.ndarray:
        return rng.normal(0, 1, size=(rows, 8)).astype(np.float32)

    x_load, x_predict, x_example = batch(6), batch(6), batch(2)
    x_check, x_check_predict = batch(7), batch(6)
    return Prepared(
        inputs={
            "models": {role: models[role] for role in ("save", "predict", "export")},
            "load_file": state_dict_file(models["load"]),
            "x_load": x_load,
            "x_predict": x_predict,
            "x_example": x_example,
        },
        hidden={
            "load": forward(models["load"], x_load),
            "predict": forward(models["predict"], x_check_predict),
            "predict_visible": forward(models["predict"], x_predict),
            "save": forward(models["save"], x_check),
            "export": forward(models["export"], x_check),
        },
        check_inputs={"x": x_check, "x_predict": x_check_predict},  # the clean step only
    )


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
    if not np.isfinite(values).all() or difference > TOLERANCE:
        return Verdict.fail(
            _("{what}: outputs differ from the expected ones by {difference:.2e} (tolerance "
              "{tolerance:g})."),
            what=what, difference=difference if np.isfinite(difference) else float("inf"),
            tolerance=TOLERANCE,
        )  # fmt: skip
    return Verdict.ok(
        _("{what}: matches (largest difference {difference:.1e})."), what=what,
        difference=difference,
    )  # fmt: skip


def _judge_saved(seen: dict, hidden: dict) -> Verdict:
    problem = seen.get("problem")
    if problem == "missing":
        return Verdict.fail(_("save_model did not write the file it was given."))
    if problem == "not_weights_only":
        return Verdict.fail(
            _("The file does not load with torch.load(weights_only=True) ({detail}): save the "
              "state_dict, not the module."),
            detail=seen.get("detail"),
        )  # fmt: skip
    if problem == "not_state_dict":
        return Verdict.fail(
            _("The file holds {type}, not a state_dict (a dictionary of tensors)."),
            type=seen.get("type"),
        )
    if problem == "keys":
        return Verdict.fail(
            _("The state_dict does not match the model: missing {missing}, unexpected "
              "{unexpected} (BatchNorm buffers such as running_mean must be saved too)."),
            missing=seen.get("missing"), unexpected=seen.get("unexpected"),
        )  # fmt: skip
    if problem == "shapes":
        return Verdict.fail(_("Tensors of the wrong shape in the state_dict: {keys}."),
                            keys=seen.get("keys"))  # fmt: skip
    verdict = _compare(seen.get("values"), hidden["save"], _("The saved model"))
    if verdict.passed:
        return Verdict.ok(
            _(
                "The file is a state_dict with weights and buffers; the model restored from it "
                "gives the same outputs."
            )
        )
    return verdict


def _judge_loaded(seen: dict, hidden: dict) -> Verdict:
    if not seen.get("module"):
        return Verdict.fail(_("load_model must return an nn.Module, not {type}."),
                            type=seen.get("type"))  # fmt: skip
    if not seen.get("tensor"):
        return Verdict.fail(_("The loaded model did not return a tensor."))
    return _compare(seen.get("values"), hidden["load"], _("The loaded model"))


def _judge_predicted(seen: dict, traced, hidden: dict) -> Verdict:
    if not seen.get("tensor"):
        return Verdict.fail(_("predict must return a tensor, not {type}."), type=seen.get("type"))
    if seen.get("requires_grad"):
        return Verdict.fail(_("The output of predict requires grad: use torch.no_grad()."))
    verdict = _compare(seen.get("values"), hidden["predict_visible"], "predict")
    if not verdict.passed:
        return verdict
    if isinstance(traced, dict):
        return Verdict.fail(_("predict could not be run on new inputs: {error}"),
                            error=traced.get("error"))  # fmt: skip
    return _compare(traced, hidden["predict"], _("predict on new inputs"))


def _judge_onnx_outputs(seen: dict, hidden: dict) -> Verdict:
    for batch in BATCHES:
        result = seen.get(str(batch))
        if isinstance(result, dict):
            return Verdict.fail(
                _("onnxruntime could not run the model on a batch of {batch}: {error}"),
                batch=batch, error=result.get("error"),
            )  # fmt: skip
        what = message(_("onnxruntime, batch of {batch}"), batch=batch)
        verdict = _compare(result, hidden["export"][:batch], what)
        if not verdict.passed:
            return verdict
    return Verdict.ok(_("onnxruntime outputs match PyTorch for batches of 1 and 5."))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test.startswith("onnx_"):
        seen = evidence[{"onnx_valid": "check:onnx_checker", "onnx_dynamic_batch":
                         "check:onnx_batch_dim"}.get(test, "check:onnx_outputs")]  # fmt: skip
        if seen.get("problem") == "missing":
            return Verdict.fail(_("export_onnx did not write the file it was given."))
    if test == "save_model":
        return _judge_saved(evidence["check:saved_outputs"], hidden)
    if test == "load_model":
        return _judge_loaded(evidence["loaded"], hidden)
    if test == "predict":
        return _judge_predicted(evidence["predicted"], evidence["check:predict_outputs"], hidden)
    if test == "onnx_valid":
        seen = evidence["check:onnx_checker"]
        if seen.get("valid") is True:
            return Verdict.ok(_("onnx.checker found no errors."))
        return Verdict.fail(_("The ONNX file did not pass onnx.checker: {detail}"),
                            detail=seen.get("detail"))  # fmt: skip
    if test == "onnx_dynamic_batch":
        seen = evidence["check:onnx_batch_dim"]
        if seen.get("param"):
            return Verdict.ok(_("The batch dimension is symbolic: {name}."), name=seen["param"])
        return Verdict.fail(
            _("Input dimension 0 is fixed ({value}); it must be symbolic."), value=seen.get("value")
        )
    if test == "onnx_matches_torch":
        return _judge_onnx_outputs(evidence["check:onnx_outputs"], hidden)
    raise KeyError(test)
