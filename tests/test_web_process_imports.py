"""The web process stays free of the lab environments' packages (settings.LAB_ENVIRONMENTS:
torch, scikit-learn, LightGBM, XGBoost, SHAP, Flask...): they are the worker's, imported by its
warm interpreters, and would cost every gunicorn process hundreds of MB. Checked at run time
(imports made by external packages show only there) and by the import graph's "web-light"
contract (tests/test_import_graph.py), which also sees imports inside functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Loads what gunicorn loads (config.wsgi) and every view that a URL names, then lists the
# environments' top-level packages found in sys.modules.
_WEB_PROCESS = """
import json, sys
from config.wsgi import application
from django.urls import get_resolver

def walk(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            walk(pattern.url_patterns)
        else:
            pattern.callback

walk(get_resolver().url_patterns)
heavy = json.loads(sys.argv[1])
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def environment_packages() -> list[str]:
    return sorted(
        {module.split(".")[0] for mods in settings.LAB_ENVIRONMENTS.values() for module in mods}
    )


def test_the_web_process_imports_no_package_of_a_lab_environment():
    packages = environment_packages()
    assert {"torch", "sklearn", "lightgbm", "xgboost", "shap", "flask", "pandas"} <= set(packages)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", _WEB_PROCESS, json.dumps(packages)],
        capture_output=True, text=True, env=env, cwd=PROJECT_DIR, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_import_contract_forbids_every_environment_package():
    """The static contract names every package the environments preload (a package added to
    an environment must be added to the contract too)."""
    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    forbidden = set(contracts["web-light"]["forbidden_modules"])
    assert set(environment_packages()) <= forbidden
    assert {"config.wsgi", "config.urls"} <= set(contracts["web-light"]["source_modules"])


def test_every_environment_package_is_installed_by_the_worker_extras():
    """`make run` and `make test` install the `worker` and `mle` extras: every package an
    environment preloads comes from one of them."""
    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    extras = config["project"]["optional-dependencies"]
    requirements = " ".join(extras["worker"] + extras["mle"]).lower()
    distributions = {"sklearn": "scikit-learn"}
    for package in environment_packages():
        assert distributions.get(package, package) in requirements, package
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert ".[worker,mle]" in makefile and ".[worker,mle,test]" in makefile
