"""Values cross the sandbox's boundary as plain data only (shared/specs/labs.md, trust rule 6):
the runner turns what a probe observes into JSON and ``.npy`` files, refuses any other object,
spills long values to files, and the engine reads arrays with ``allow_pickle=False`` and only
numeric ones. Through the real sandbox, with a probe written for these tests."""

import io
import textwrap

import numpy as np
import pytest

from grading import engine
from grading.engine import Observations
from grading.sandbox import SandboxJob, run_job
from grading.text_hygiene import clean_outcome

pytestmark = pytest.mark.integration

PROBE = textwrap.dedent(
    """
    import numpy as np
    import torch


    class Opaque:
        def __reduce__(self):
            raise RuntimeError("never pickled")


    def run(solution, observe, inputs):
        with observe("numbers") as seen:
            seen.value = {"int": 3, "float": 0.5, "nan": float("nan"), "text": "ok",
                          "list": [1, [2.5, None, True]], "numpy_scalar": np.float32(1.5)}
        with observe("arrays") as seen:
            seen.value = {"array": np.arange(6, dtype=np.int16).reshape(2, 3),
                          "tensor": torch.ones(2, 2, requires_grad=True) * 2,
                          "given": inputs["given"] * 10}
        with observe("long") as seen:
            seen.value = list(range(5000))  # too long for one record: spilled to a file
        with observe("opaque") as seen:
            seen.value = Opaque()
        with observe("objects") as seen:
            seen.value = np.array([Opaque()], dtype=object)
        with observe("raised") as seen:
            solution.fails()
        with observe("exited") as seen:
            solution.exits()
        with observe("after") as seen:
            seen.value = "still observed"
    """
)
SOLUTION = textwrap.dedent(
    """
    import sys

    def fails():
        raise ValueError("learner error")

    def exits():
        sys.exit(3)

    # A forged record pointing at a pickled array planted among the evidence files.
    import os, pickle
    import numpy as np
    os.makedirs("out/_evidence", exist_ok=True)
    np.save("out/_evidence/planted.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    os.write(3, b'\\n{"obs": "planted", "value": {"$npy": "planted.npy"}}\\n')
    """
)


@pytest.fixture(scope="module")
def observed() -> tuple[Observations, dict[str, bytes]]:
    inputs_json, input_files = engine.encode_inputs({"given": np.arange(3, dtype=np.float32)})
    job = SandboxJob(
        files={
            "_runner.py": engine.RUNNER_PATH.read_bytes(),
            "_lab_probe.py": PROBE.encode(),
            "_inputs.json": inputs_json,
            **input_files,
            "solution.py": SOLUTION.encode(),
        },
        entry="_runner.py",
        pythonpath=(".",),
    )
    outcome = clean_outcome(run_job(job))
    observations = Observations()
    observations.feed_channel(outcome.channel)
    return observations, outcome.artifacts


def value(observed, name: str):
    observations, files = observed
    record = observations.record(name, files)
    assert record is not None and record.state == "value", record
    return record.value


def error(observed, name: str) -> str:
    observations, files = observed
    record = observations.record(name, files)
    assert record is not None and record.state == "error", record
    return record.error


def test_plain_values_arrive_as_they_were(observed):
    numbers = value(observed, "numbers")
    assert numbers["int"] == 3 and numbers["float"] == 0.5 and np.isnan(numbers["nan"])
    assert numbers["text"] == "ok" and numbers["list"] == [1, [2.5, None, True]]
    assert numbers["numpy_scalar"] == 1.5


def test_arrays_and_tensors_arrive_as_numeric_arrays(observed):
    arrays = value(observed, "arrays")
    assert arrays["array"].dtype == np.int16 and arrays["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert arrays["tensor"].tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert arrays["given"].tolist() == [0.0, 10.0, 20.0]  # inputs reach the probe as arrays


def test_a_long_value_goes_through_a_file(observed):
    assert value(observed, "long") == list(range(5000))


def test_objects_that_are_not_plain_data_never_cross(observed):
    assert "not plain data" in error(observed, "opaque")
    assert "not numeric" in error(observed, "objects")
    # A pickled array planted by learner code is refused when read, not unpickled.
    assert "ObservationError" in error(observed, "planted")


def test_learner_exceptions_and_exits_are_recorded_and_the_probe_goes_on(observed):
    assert "learner error" in error(observed, "raised")
    assert "SystemExit" in error(observed, "exited")
    assert value(observed, "after") == "still observed"
    assert "done" in observed[0].events


def test_the_engine_reads_arrays_without_unpickling(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        engine.load_array(buffer.getvalue())
    buffer = io.BytesIO()
    np.save(buffer, np.array(["text"]), allow_pickle=False)
    with pytest.raises(engine.EvidenceError):
        engine.load_array(buffer.getvalue())
