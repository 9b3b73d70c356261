"""The trusted half of the Flask prediction API lab (contract: labs/grader_api.py).

Each job draws the grader's own model: a scikit-learn LogisticRegression with d = 3..8
features and 3 or 4 classes whose labels are integers that are not 0..k-1 (so an argmax
index is never a label), with weights drawn here. The weights enter the learner's sandbox as
data (the probe builds the model from them and pickles it next to the job); the predictions
for the valid requests are computed here and never do. The probe drives the learner's app
through Flask's test client with one shuffled list of requests: valid ones and every bad input
of the contract (no body, not JSON, invalid JSON, a list, a bare number, a missing key, wrong
lengths, strings, null, nested lists), and records each response's status, whether its body is
JSON, and its "prediction". Those records are claims: the bad-input tests count only once
the predictions (which no stub can produce) pass.

The Dockerfile is read from the source here: the ``DOCKERFILE`` string literal, parsed by the
small parser below (instructions, line continuations, comments, exec and shell forms); it is
never built or run.
"""

from __future__ import annotations

import ast
import json
import re
import shlex

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import (
    CLAIM,
    CORE,
    EDGE,
    SOURCE,
    Draw,
    Message,
    Prepared,
    Test,
    Verdict,
    message,
)
from labs.interface import Function

INTERFACE = [Function("create_app", ("model_path",))]

VALID_REQUESTS = 10
MIN_SCORE_GAP = 1e-3  # between the best and second-best class of a valid request
SHOWN_CASES = 3  # failing cases named in a message

TESTS = [
    Test("predictions", 6, _("Predictions"), CORE, uses=("responses",)),
    Test("malformed_body", 2, _("Malformed body"), EDGE, uses=("responses",),
         requires=("predictions",)),
    Test("bad_features", 2, _("Bad features"), EDGE, uses=("responses",),
         requires=("predictions",)),
    Test("dockerfile", 2, _("Dockerfile"), CLAIM, uses=(SOURCE,)),
]  # fmt: skip

# Bad inputs by test: (kind, what the learner reads about it).
MALFORMED = {
    "no_body": _("no body"),
    "not_json": _("a body that is not JSON (text/plain)"),
    "invalid_json": _("invalid JSON with the JSON content type"),
    "a_list": _("a JSON list instead of an object"),
    "a_number": _("a JSON number instead of an object"),
}
BAD_FEATURES = {
    "missing_key": _('no "features" key'),
    "too_short": _("one feature too few"),
    "too_long": _("one feature too many"),
    "empty": _("an empty list of features"),
    "strings": _("numbers written as strings"),
    "a_string": _('"features" as one string'),
    "null": _('"features": null'),
    "null_item": _("null among the features"),
    "nested": _("a nested list [[...]]"),
    "a_dict": _('"features" as an object'),
}


def _row(draw: Draw, d: int) -> list:
    """One feature vector as it travels in JSON: floats, a few of them whole numbers."""
    row = [round(float(v), 3) for v in draw.public_np.normal(0, 2, d)]
    for i in range(d):
        if draw.public.random() < 0.2:
            row[i] = round(row[i])
    return row


def _bad_requests(draw: Draw, d: int) -> dict[str, dict]:
    row = _row(draw, d)
    return {
        "no_body": {"mode": "none"},
        "not_json": {"mode": "raw", "data": " ".join(map(str, row)),
                     "content_type": "text/plain"},
        "invalid_json": {"mode": "raw", "data": '{"features": [' + ", ".join(map(str, row)),
                         "content_type": "application/json"},
        "a_list": {"mode": "json", "value": row},
        "a_number": {"mode": "json", "value": row[0]},
        "missing_key": {"mode": "json", "value": {"feature": row}},
        "too_short": {"mode": "json", "value": {"features": row[:-1]}},
        "too_long": {"mode": "json", "value": {"features": [*row, 1.0]}},
        "empty": {"mode": "json", "value": {"features": []}},
        "strings": {"mode": "json", "value": {"features": [str(v) for v in row]}},
        "a_string": {"mode": "json", "value": {"features": ",".join(map(str, row))}},
        "null": {"mode": "json", "value": {"features": None}},
        "null_item": {"mode": "json", "value": {"features": [*row[:-1], None]}},
        "nested": {"mode": "json", "value": {"features": [row]}},
        "a_dict": {"mode": "json", "value": {"features": {str(i): v for i, v in enumerate(row)}}},
    }  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    d = draw.public.randint(3, 8)
    k = draw.public.choice((3, 4))
    classes = sorted(draw.public.sample(range(2, 40), k))
    coef = draw.public_np.normal(0, 1, (k, d))
    intercept = draw.public_np.normal(0, 0.5, k)
    valid, expected = [], []
    while len(valid) < VALID_REQUESTS:
        row = _row(draw, d)
        scores = coef @ np.asarray(row, dtype=np.float64) + intercept
        top = np.sort(scores)[-2:]
        if top[1] - top[0] < MIN_SCORE_GAP:
            continue  # no near-ties: float rounding must not decide a class
        valid.append(row)
        expected.append(int(classes[int(np.argmax(scores))]))
    bad = _bad_requests(draw, d)
    cases = [("valid", i) for i in range(VALID_REQUESTS)] + [(kind, None) for kind in bad]
    draw.public.shuffle(cases)
    requests = [
        {"mode": "json", "value": {"features": valid[i]}} if kind == "valid" else bad[kind]
        for kind, i in cases
    ]
    return Prepared(
        inputs={
            "model": {"coef": coef, "intercept": intercept, "classes": classes},
            "requests": requests,
        },
        hidden={"cases": cases, "expected": expected},
    )


# --- the responses ---------------------------------------------------------------------------


class _Cases:
    """Failing cases, rendered in the language of the message that shows them."""

    def __init__(self, items: list) -> None:
        unique = {}
        for item in items:  # the same reason once
            key = (
                repr((item.text, sorted(item.params.items())))
                if isinstance(item, Message)
                else item
            )
            unique.setdefault(str(key), item)
        self.items = list(unique.values())[:SHOWN_CASES]

    def __format__(self, spec: str) -> str:
        return "; ".join(i.render() if isinstance(i, Message) else str(i) for i in self.items)


def _status(record) -> str:
    if not isinstance(record, dict):
        return "?"
    if record.get("raised"):
        return _("an exception")
    return str(record.get("status"))


def _judge_predictions(responses, hidden: dict) -> Verdict:
    cases, expected = hidden["cases"], hidden["expected"]
    if not isinstance(responses, list) or len(responses) != len(cases):
        return Verdict.fail(_("The app was not asked every request."))
    wrong = []
    for record, (kind, index) in zip(responses, cases, strict=True):
        if kind != "valid":
            continue
        want = expected[index]
        if not isinstance(record, dict) or record.get("status") != 200:
            wrong.append(message(_("status {status} instead of 200"), status=_status(record)))
        elif not record.get("json") or not record.get("has_prediction"):
            wrong.append(_('200 without a JSON object holding "prediction"'))
        elif type(record.get("prediction")) is not int:
            wrong.append(
                message(_("\"prediction\" is {type}, not an integer"),
                        type=record.get("prediction_type"))
            )  # fmt: skip
        elif record["prediction"] != want:
            wrong.append(_("a prediction that is not the model's class"))
    if wrong:
        return Verdict.fail(
            _("{count} of {total} valid requests were answered wrongly: {cases}."),
            count=len(wrong), total=len(expected), cases=_Cases(wrong),
        )  # fmt: skip
    return Verdict.ok(
        _("All {total} valid requests got 200 and the model's class as an integer."),
        total=len(expected),
    )


def _judge_bad(responses, hidden: dict, kinds: dict) -> Verdict:
    cases = hidden["cases"]
    if not isinstance(responses, list) or len(responses) != len(cases):
        return Verdict.fail(_("The app was not asked every request."))
    wrong = []
    for record, (kind, _index) in zip(responses, cases, strict=True):
        if kind not in kinds:
            continue
        ok = isinstance(record, dict) and record.get("status") == 400 and record.get("json")
        if not ok:
            got = _status(record)
            if isinstance(record, dict) and record.get("status") == 400:
                got = _("400 without a JSON body")
            wrong.append(message(_("{case}: {got}"), case=kinds[kind], got=got))
    if wrong:
        return Verdict.fail(
            _("Expected 400 with a JSON error for every bad request; {count} of {total} were "
              "answered otherwise: {cases}."),
            count=len(wrong), total=len(kinds), cases=_Cases(wrong),
        )  # fmt: skip
    return Verdict.ok(_("All {total} bad requests got 400 with a JSON error."), total=len(kinds))


# --- the Dockerfile --------------------------------------------------------------------------

INSTRUCTIONS = frozenset(
    {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
     "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
)  # fmt: skip
FACTORY = re.compile(r"^solution:create_app\((.+)\)$", re.DOTALL)
PYTHON_PROGRAM = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
ALL_INTERFACES = {"0.0.0.0", "::", "[::]", ""}  # noqa: S104 - a container must listen outside


class DockerfileError(ValueError):
    """The Dockerfile does not meet a rule; the message says which (a Message)."""

    def __init__(self, text, **params) -> None:
        super().__init__(str(text))
        self.text, self.params = text, params


def dockerfile_text(source) -> str:
    """The module-level string literal DOCKERFILE of the submission (the last one bound)."""
    if source.tree is None:
        raise DockerfileError(_("The solution does not parse, so DOCKERFILE cannot be read."))
    value = None
    for node in source.tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "DOCKERFILE" for t in targets):
            value = node.value
    if value is None:
        raise DockerfileError(_("The solution defines no DOCKERFILE constant."))
    if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
        raise DockerfileError(
            _('DOCKERFILE must be a string literal ("""..."""), not an expression.')
        )
    return value.value


def parse_dockerfile(text: str) -> list[tuple[str, str, int]]:
    """(INSTRUCTION, its arguments, line number) for each instruction: comment lines and
    blank lines skipped, lines ending in a backslash joined with the next."""
    instructions: list[tuple[str, str, int]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole, pending = pending + line, ""
        keyword, _space, arguments = whole.partition(" ")
        if keyword.upper() not in INSTRUCTIONS:
            raise DockerfileError(
                _("Line {line}: {word} is not a Dockerfile instruction."),
                line=start, word=keyword[:40],
            )  # fmt: skip
        if not arguments.strip():
            raise DockerfileError(
                _("Line {line}: {word} has no arguments."), line=start, word=keyword.upper()
            )
        instructions.append((keyword.upper(), arguments.strip(), start))
    if pending:
        raise DockerfileError(_("The last line ends with a backslash and nothing follows."))
    if not instructions:
        raise DockerfileError(_("DOCKERFILE holds no instruction."))
    return instructions


def _argv(arguments: str) -> list[str]:
    """An exec-form (JSON array) or shell-form command as a list of words."""
    if arguments.startswith("["):
        try:
            value = json.loads(arguments)
        except ValueError:
            raise DockerfileError(
                _("{command} is neither a JSON array nor a shell command."),
                command=arguments[:80],
            ) from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DockerfileError(_("{command}: a JSON array of strings is expected."),
                                  command=arguments[:80])  # fmt: skip
        return value
    try:
        return shlex.split(arguments)
    except ValueError:
        raise DockerfileError(_("{command}: unbalanced quotes."), command=arguments[:80]) from None


def _commands(argv: list[str]) -> list[list[str]]:
    """The simple commands of a shell line (split at &&, ||, ;, |), "sh -c" unwrapped."""
    if len(argv) >= 3 and argv[0].split("/")[-1] in ("sh", "bash") and argv[1] == "-c":
        return _commands(_argv(argv[2]))
    commands, current = [], []
    for word in argv:
        if word in ("&&", "||", ";", "|"):
            commands.append(current)
            current = []
        elif word.endswith(";"):
            current.append(word[:-1])
            commands.append(current)
            current = []
        else:
            current.append(word)
    commands.append(current)
    return [c[1:] if c and c[0] == "exec" else c for c in commands if c]


def _is_python_image(arguments: str) -> bool:
    words = [w for w in arguments.split() if not w.startswith("--")]
    if not words:
        return False
    image = re.split(r"[:@]", words[0], maxsplit=1)[0].lower()
    return image.split("/")[-1] == "python"


def _pip_installs_requirements(command: list[str]) -> bool:
    if not command:
        return False
    program = command[0].split("/")[-1]
    if program in ("pip", "pip3") or re.fullmatch(r"pip3\.\d+", program):
        rest = command[1:]
    elif PYTHON_PROGRAM.match(command[0]) and command[1:3] == ["-m", "pip"]:
        rest = command[3:]
    else:
        return False
    if not rest or rest[0] != "install":
        return False
    return any(
        w in ("-r", "--requirement") or w.startswith(("-r", "--requirement=")) for w in rest[1:]
    )


def _gunicorn_args(command: list[str]) -> list[str] | None:
    if command and command[0].split("/")[-1] == "gunicorn":
        return command[1:]
    if (
        len(command) >= 3
        and PYTHON_PROGRAM.match(command[0])
        and command[1:3] == ["-m", "gunicorn"]
    ):
        return command[3:]
    return None


def _bind(arguments: list[str]) -> str | None:
    for i, word in enumerate(arguments):
        if word in ("-b", "--bind") and i + 1 < len(arguments):
            return arguments[i + 1]
        if word.startswith("--bind="):
            return word[len("--bind=") :]
        if word.startswith("-b") and len(word) > 2:
            return word[2:]
    return None


def check_dockerfile(text: str) -> Verdict:
    instructions = parse_dockerfile(text)
    for kw, args, _line in instructions:  # every command must parse before any rule is read
        if kw in ("RUN", "CMD", "ENTRYPOINT"):
            _argv(args)
    first = next((kw for kw, _args, _line in instructions if kw != "ARG"), None)
    if first != "FROM":
        raise DockerfileError(_("A Dockerfile starts with FROM (only ARG may come before it)."))
    last_from = max(i for i, (kw, _a, _l) in enumerate(instructions) if kw == "FROM")
    stage = instructions[last_from:]
    if not _is_python_image(stage[0][1]):
        raise DockerfileError(_("The image is built FROM {image}, not a python image."),
                              image=stage[0][1].split()[0][:80])  # fmt: skip
    runs = [_commands(_argv(args)) for kw, args, _line in stage if kw == "RUN"]
    if not any(_pip_installs_requirements(c) for commands in runs for c in commands):
        raise DockerfileError(
            _("No RUN installs the requirements with pip (pip install -r requirements.txt).")
        )
    ports = set()
    for kw, args, line in stage:
        if kw != "EXPOSE":
            continue
        for word in args.split():
            match = re.fullmatch(r"(\d{1,5})(?:/(?:tcp|udp))?", word)
            if not match or not 0 < int(match.group(1)) < 65536:
                raise DockerfileError(_("Line {line}: EXPOSE {port} is not a port number."),
                                      line=line, port=word[:20])  # fmt: skip
            ports.add(int(match.group(1)))
    if not ports:
        raise DockerfileError(_("No EXPOSE names the port the API listens on."))
    entry = [_argv(args) for kw, args, _line in stage if kw == "ENTRYPOINT"]
    cmd = [_argv(args) for kw, args, _line in stage if kw == "CMD"]
    command = (entry[-1] if entry else []) + (cmd[-1] if cmd else [])
    if not command:
        raise DockerfileError(_("There is no CMD (or ENTRYPOINT) that starts the API."))
    arguments = next(
        (args for c in _commands(command) if (args := _gunicorn_args(c)) is not None), None
    )
    if arguments is None:
        raise DockerfileError(_("The command {command} does not run gunicorn."),
                              command=" ".join(command)[:120])  # fmt: skip
    if not any(FACTORY.match(word) for word in arguments):
        raise DockerfileError(
            _(
                'gunicorn must serve the factory of solution.py: solution:create_app("...") '
                "with the model file's path."
            )
        )
    bind = _bind(arguments)
    if bind is None:
        raise DockerfileError(
            _(
                "gunicorn needs --bind 0.0.0.0:PORT: by default it listens on 127.0.0.1, which "
                "cannot be reached from outside the container."
            )
        )
    host, _colon, port = bind.rpartition(":")
    if host not in ALL_INTERFACES:
        raise DockerfileError(
            _("gunicorn listens on {host}, which cannot be reached from outside the container: "
              "bind to 0.0.0.0."),
            host=host[:60],
        )  # fmt: skip
    if not port.isdigit() or int(port) not in ports:
        raise DockerfileError(
            _("gunicorn listens on port {port}, but the Dockerfile exposes {ports}."),
            port=port[:20], ports=", ".join(map(str, sorted(ports))),
        )  # fmt: skip
    return Verdict.ok(
        _("The Dockerfile parses: FROM a python image, pip installs the requirements, EXPOSE "
          "{ports}, gunicorn serves solution:create_app(...) on port {port}."),
        ports=", ".join(map(str, sorted(ports))), port=port,
    )  # fmt: skip


def _judge_dockerfile(source) -> Verdict:
    try:
        return check_dockerfile(dockerfile_text(source))
    except DockerfileError as error:
        return Verdict.fail(error.text, **error.params)


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "predictions":
        return _judge_predictions(evidence["responses"], hidden)
    if test == "malformed_body":
        return _judge_bad(evidence["responses"], hidden, MALFORMED)
    if test == "bad_features":
        return _judge_bad(evidence["responses"], hidden, BAD_FEATURES)
    if test == "dockerfile":
        return _judge_dockerfile(evidence.source)
    raise KeyError(test)
