"""Issue 8, attack on dl-10: all four pipeline functions stubbed, and module-level code that
rebuilds the expected outputs inside the sandbox from what the grader put there, then reports
them in place of the probe. On main's code the grader's model was built in the sandbox from a
seed in the inputs, and this scored 1.0 (measured).

Now the models are drawn outside from the job's secret stream; the one load_model must load
enters the sandbox only inside the state_dict file written outside; save_model's file,
export_onnx's file and a graph traced around predict are run by grader code in a second, clean
sandbox on inputs only that step sees, and every expected output is computed by the judge. So
whatever the stub rebuilds or claims, the honest score is 0."""

import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab

pytestmark = pytest.mark.integration

ATTACK = textwrap.dedent(
    '''
    import json
    import os
    import sys

    import torch


    def save_model(model, path):
        raise NotImplementedError


    def load_model(path, model_factory):
        raise NotImplementedError


    def predict(model, x):
        raise NotImplementedError


    def export_onnx(model, path, example_input):
        raise NotImplementedError


    def _rebuild(probe, inputs):
        """The grader's model, rebuilt in here from whatever the inputs give away."""
        if hasattr(probe, "build_model") and "seed" in inputs:  # how it used to be
            return probe.build_model(inputs["seed"]).eval()
        models = inputs.get("models", {})
        weights = next(iter(models.values()), None)  # any grader weights it can find
        if weights is not None and hasattr(probe, "build"):
            return probe.build(weights).eval()
        return probe.GraderNet().eval()


    def _outputs(model, x):
        with torch.no_grad():
            return model(torch.as_tensor(x, dtype=torch.float32)).double().tolist()


    def _forge(observe, inputs):
        probe = sys.modules["_lab_probe"]
        model = _rebuild(probe, inputs)
        with observe("saved") as seen:
            seen.value = True
        with observe("loaded") as seen:
            seen.value = {"module": True, "tensor": True, "requires_grad": False,
                          "values": _outputs(model, inputs["x_load"])}
        with observe("predicted") as seen:
            weights = inputs.get("models", {}).get("predict")
            exact = probe.build(weights).eval() if weights is not None else model
            seen.value = {"tensor": True, "requires_grad": False,
                          "values": _outputs(exact, inputs["x_predict"])}
        with observe("exported") as seen:
            seen.value = True
        # Hand the clean check something to open: empty or foreign files.
        for name in ("saved.pt", "model.onnx", "predict.onnx"):
            with open(observe.handoff(name), "wb") as handle:
                handle.write(b"")


    runner = sys.modules.get("__main__")
    probe = sys.modules.get("_lab_probe")
    if probe is not None:
        probe.run = lambda solution, observe, inputs: _forge(observe, inputs)
    if hasattr(runner, "Observe") and hasattr(runner, "_read_inputs"):
        _forge(runner.Observe(), runner._read_inputs())
    '''
)


def test_stubs_that_rebuild_the_expected_outputs_in_the_sandbox_score_zero():
    result = grade_source(load_lab("dl-10-mlops-onnx-pipeline"), ATTACK, seed=12)
    assert result.status == Status.DONE
    assert {test.name: test.message for test in result.tests if test.passed} == {}
    assert result.score == 0
    assert result.timings["check_s"] > 0  # the clean step ran over what was handed off
