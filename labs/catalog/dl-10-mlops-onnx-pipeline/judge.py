"""The trusted half of the ONNX pipeline lab: rebuilds the grader's model from the seed
(with torch, imported only when judging) and compares the probe's observations with it."""

import importlib.util
import math
import random
from functools import cache
from pathlib import Path

from labs.grader_api import Test, Verdict

TOLERANCE = 1e-5

TESTS = [
    Test("save_load_roundtrip", 2, "Сохранение и загрузка"),
    Test("state_dict_file", 1, "Файл весов — state_dict"),
    Test("predict", 2, "Инференс"),
    Test("onnx_valid", 1, "Корректный ONNX"),
    Test("onnx_dynamic_batch", 1, "Динамический батч"),
    Test("onnx_matches_torch", 2, "ONNX совпадает с PyTorch"),
]


def make_inputs(rng: random.Random) -> dict:
    return {
        "seed": rng.randrange(2**31),
        "x": [[round(rng.gauss(0, 1), 4) for _ in range(8)] for _ in range(6)],
    }


@cache
def _probe_module():
    # The model's definition lives once, in the probe; load it here outside the sandbox.
    path = Path(__file__).with_name("probe.py")
    spec = importlib.util.spec_from_file_location("_onnx_lab_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_outputs(inputs: dict) -> list[list[float]]:
    import torch

    probe = _probe_module()
    model = probe.build_model(inputs["seed"]).eval()
    with torch.no_grad():
        return model(torch.tensor(inputs["x"], dtype=torch.float32)).double().tolist()


def _max_difference(observed, expected) -> float | None:
    if not isinstance(observed, list) or len(observed) != len(expected):
        return None
    worst = 0.0
    for row_seen, row_want in zip(observed, expected, strict=True):
        if not isinstance(row_seen, list) or len(row_seen) != len(row_want):
            return None
        for seen, want in zip(row_seen, row_want, strict=True):
            if not isinstance(seen, int | float) or math.isnan(seen):
                return None
            worst = max(worst, abs(seen - want))
    return worst


def _compare(observed, expected, what: str) -> Verdict:
    difference = _max_difference(observed, expected)
    if difference is None:
        return Verdict.fail(f"{what}: выход имеет неверную форму или содержит не числа.")
    if difference > TOLERANCE:
        return Verdict.fail(
            f"{what}: выходы отличаются от ожидаемых на {difference:.2e} (допуск {TOLERANCE:g})."
        )
    return Verdict.ok(f"{what}: совпадает (максимальное отличие {difference:.1e}).")


def judge(name: str, observation, inputs: dict) -> Verdict:
    expected = expected_outputs(inputs)
    if name == "save_load_roundtrip":
        return _compare(observation, expected, "Загруженная модель")
    if name == "state_dict_file":
        if not observation.get("is_dict") or not observation.get("tensors"):
            return Verdict.fail("Файл должен содержать state_dict — словарь тензоров.")
        if "net.1.running_mean" not in observation.get("keys", []):
            return Verdict.fail("В state_dict нет буферов BatchNorm (running_mean).")
        return Verdict.ok("Файл — state_dict с весами и буферами.")
    if name == "predict":
        if observation.get("requires_grad"):
            return Verdict.fail("Выход predict требует градиент: используйте torch.no_grad().")
        return _compare(observation.get("values"), expected, "predict")
    if name == "onnx_valid":
        return (
            Verdict.ok("onnx.checker не нашёл ошибок.")
            if observation is True
            else (Verdict.fail("Файл ONNX не прошёл проверку."))
        )
    if name == "onnx_dynamic_batch":
        if observation.get("dim_param"):
            return Verdict.ok(f"Измерение батча символическое: {observation['dim_param']!r}.")
        return Verdict.fail(
            f"Измерение 0 входа фиксировано ({observation.get('dim_value')}), а должно быть "
            "символическим."
        )
    if name == "onnx_matches_torch":
        for batch in (1, 5):
            verdict = _compare(observation.get(str(batch)), expected[:batch],
                               f"onnxruntime, батч {batch}")  # fmt: skip
            if not verdict.passed:
                return verdict
        return Verdict.ok("Выходы onnxruntime совпадают с PyTorch для батчей 1 и 5.")
    raise KeyError(name)
