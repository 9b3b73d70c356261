"""Lab environments (settings.LAB_ENVIRONMENTS): a lab names its own in lab.toml, the catalogue
refuses an unknown one, and both grading steps of a lab run in the warm interpreter of the lab's
environment, which has that environment's packages imported before any job (bench/environments.py
has the figures behind one warm interpreter per environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from grading import engine
from grading.sandbox import Limits, SandboxJob, default_zygote, run_job
from labs.catalog import CatalogError, load_lab
from tests.test_sandbox_support import last_json, requires_root

REAL_LAB = Path(__file__).resolve().parent.parent / "labs" / "catalog" / "dl-07-iou"


def copy_lab(tmp_path: Path, extra_toml: str) -> Path:
    folder = tmp_path / "env-lab"
    shutil.copytree(REAL_LAB, folder)
    toml = (folder / "lab.toml").read_text(encoding="utf-8")
    (folder / "lab.toml").write_text(extra_toml + "\n" + toml, encoding="utf-8")
    return folder


def test_a_lab_runs_in_the_torch_environment_unless_it_names_another(tmp_path):
    assert load_lab("dl-07-iou").environment == "torch"
    folder = copy_lab(tmp_path, 'environment = "mle"')
    assert load_lab(folder.name, tmp_path).environment == "mle"


def test_the_catalogue_refuses_an_unknown_environment(tmp_path):
    folder = copy_lab(tmp_path, 'environment = "tensorflow"')
    with pytest.raises(CatalogError, match="environment must be one of") as error:
        load_lab(folder.name, tmp_path)
    assert "env-lab/lab.toml" in str(error.value)


@requires_root
def test_both_steps_run_in_the_zygote_of_the_labs_environment(tmp_path, monkeypatch):
    folder = copy_lab(tmp_path, 'environment = "mle"')
    lab = load_lab(folder.name, tmp_path)
    seen = []
    real = engine.run_job

    def watching(job, zygote=None, on_channel=None):
        seen.append(zygote)
        return real(job, zygote, on_channel=on_channel)

    monkeypatch.setattr(engine, "run_job", watching)
    engine.grade_source(lab, (folder / "reference.py").read_text(encoding="utf-8"), seed=1)
    assert seen and all(z is default_zygote("mle") for z in seen)
    assert default_zygote("mle").preload == tuple(settings.LAB_ENVIRONMENTS["mle"])


def test_an_unknown_environment_has_no_zygote():
    with pytest.raises(ValueError, match="unknown lab environment"):
        default_zygote("tensorflow")


PRELOADED = """
import json, sys
names = ("torch", "sklearn", "lightgbm", "xgboost", "shap", "skl2onnx", "flask", "pandas")
print(json.dumps({name: name in sys.modules for name in names}))
"""


@requires_root
def test_the_mle_interpreter_has_its_packages_imported_and_not_torch():
    job = SandboxJob(files={"main.py": PRELOADED.encode()}, entry="main.py", limits=Limits())
    outcome = run_job(job, default_zygote("mle"))
    assert outcome.exit_code == 0, outcome.stderr
    seen = last_json(outcome)
    assert not seen.pop("torch")
    assert all(seen.values()), seen


MLE_JOB = """
import json
import numpy as np, pandas as pd, lightgbm, xgboost
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
rng = np.random.default_rng(0)
df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(["x", "y"], 200)})
y = (df["a"] > 0).astype(int)
pre = ColumnTransformer([("num", StandardScaler(), ["a"]), ("cat", OneHotEncoder(), ["b"])])
score = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(df, y).score(df, y)
gbm = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(df[["a"]], y).score(df[["a"]], y)
xgboost.XGBRegressor(n_estimators=10).fit(df[["a"]], y)
print(json.dumps({"pipeline": score, "lightgbm": gbm}))
"""


@requires_root
def test_scikit_learn_lightgbm_and_xgboost_fit_in_a_job_of_the_mle_interpreter():
    job = SandboxJob(files={"main.py": MLE_JOB.encode()}, entry="main.py", limits=Limits(wall_s=30))
    outcome = run_job(job, default_zygote("mle"))
    assert outcome.exit_code == 0, outcome.stderr
    scores = last_json(outcome)
    assert scores["pipeline"] > 0.9 and scores["lightgbm"] > 0.9
