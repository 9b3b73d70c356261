"""The Flask API lab (mle-02) reads the learner's DOCKERFILE constant on the trusted side and
parses it, never builds it: the ordinary ways of writing the same Dockerfile pass (exec or
shell form, line continuations, comments, ENTRYPOINT plus CMD, `python -m gunicorn`, a
multi-stage build), and each classic mistake fails with its own message."""

from __future__ import annotations

import textwrap

import pytest
from django.utils import translation

from labs.catalog import load_lab
from labs.grader_api import Source


@pytest.fixture(scope="module")
def judge():
    return load_lab("mle-02-flask-predict-api").judge


GOOD = {
    "exec form": """
        FROM python:3.11-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        EXPOSE 5000
        CMD ["gunicorn", "--bind", "0.0.0.0:5000", "solution:create_app('model.pkl')"]
        """,
    "shell form, continuations and comments": """
        # syntax=docker/dockerfile:1
        ARG PY=3.11
        FROM python:${PY}-slim AS runtime
        COPY requirements.txt /app/
        RUN python -m pip install --upgrade pip \\
            # pinned versions live in the file
            && pip3 install -r /app/requirements.txt
        EXPOSE 8080/tcp
        CMD exec gunicorn -w 2 -b 0.0.0.0:8080 'solution:create_app("/app/model.pkl")'
        """,
    "entrypoint and cmd, python -m gunicorn": """
        FROM docker.io/library/python:3.12
        RUN pip install --requirement requirements.txt
        EXPOSE 8000
        ENTRYPOINT ["python", "-m", "gunicorn", "--bind=0.0.0.0:8000"]
        CMD ["solution:create_app('model.pkl')"]
        """,
    "multi-stage": """
        FROM node:20 AS assets
        RUN echo building
        FROM python:3.11-slim
        RUN pip install -r requirements.txt
        EXPOSE 5000
        CMD ["sh", "-c", "gunicorn --bind :5000 \\"solution:create_app('m.pkl')\\""]
        """,
}

BAD = {
    "no from": ("RUN pip install -r r.txt\nEXPOSE 5000\nCMD gunicorn x", "starts with FROM"),
    "not python": (
        "FROM ubuntu:22.04\nRUN pip install -r r.txt\nEXPOSE 5000\n"
        "CMD gunicorn -b 0.0.0.0:5000 'solution:create_app(\"m\")'",
        "not a python image",
    ),
    "no requirements": (
        "FROM python:3.11\nRUN pip install flask\nEXPOSE 5000\n"
        "CMD gunicorn -b 0.0.0.0:5000 'solution:create_app(\"m\")'",
        "pip install -r",
    ),
    "no expose": (
        "FROM python:3.11\nRUN pip install -r r.txt\n"
        "CMD gunicorn -b 0.0.0.0:5000 'solution:create_app(\"m\")'",
        "No EXPOSE",
    ),
    "flask dev server": (
        'FROM python:3.11\nRUN pip install -r r.txt\nEXPOSE 5000\nCMD ["flask", "run"]',
        "does not run gunicorn",
    ),
    "app:app": (
        "FROM python:3.11\nRUN pip install -r r.txt\nEXPOSE 5000\n"
        'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]',
        "solution:create_app",
    ),
    "no bind": (
        "FROM python:3.11\nRUN pip install -r r.txt\nEXPOSE 8000\n"
        "CMD gunicorn 'solution:create_app(\"m\")'",
        "by default it listens on 127.0.0.1",
    ),
    "another port": (
        "FROM python:3.11\nRUN pip install -r r.txt\nEXPOSE 5000\n"
        "CMD gunicorn -b 0.0.0.0:8000 'solution:create_app(\"m\")'",
        "port 8000, but the Dockerfile exposes 5000",
    ),
    "unknown instruction": ("FROM python:3.11\nINSTALL flask", "not a Dockerfile instruction"),
    "broken json": ('FROM python:3.11\nCMD ["gunicorn", ', "neither a JSON array"),
    "dangling continuation": ("FROM python:3.11\nRUN pip install \\", "ends with a backslash"),
    "empty": ("\n# nothing\n", "no instruction"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_the_usual_ways_of_writing_it_pass(judge, name):
    verdict = judge.check_dockerfile(textwrap.dedent(GOOD[name]))
    assert verdict.passed


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_mistake_fails_with_its_own_message(judge, name):
    text, expected = BAD[name]
    with pytest.raises(judge.DockerfileError) as error, translation.override("en"):
        judge.check_dockerfile(text)
    with translation.override("en"):
        rendered = str(error.value.text).format(**error.value.params)
    assert expected in rendered


def test_the_constant_is_read_from_the_source_without_running_it(judge):
    def verdict(source: str) -> tuple[bool, str]:
        with translation.override("en"):
            result = judge._judge_dockerfile(Source(textwrap.dedent(source)))
            return result.passed, result.message.render()

    assert verdict('DOCKERFILE = """' + GOOD["exec form"] + '"""')[0]
    assert verdict("x = 1\n") == (False, "The solution defines no DOCKERFILE constant.")
    passed, text = verdict("DOCKERFILE = open('Dockerfile').read()\n")
    assert not passed and "string literal" in text
