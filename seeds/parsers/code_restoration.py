"""Restore real, indented Python from reference code that lost its layout.

The course documents hold reference solutions in two damaged forms:

- flattened (DL course, 000): every newline became a space, so a whole program sits on one line
  and a ``# comment`` swallows the code that followed it on the next line;
- deindented (ML course, 003): lines survived but every line starts at column 0.

Restoration only moves whitespace: it never drops, adds or reorders a token. The result is
accepted when ``ast.parse`` succeeds and the restored text, whitespace collapsed, equals the seed
text, whitespace collapsed; otherwise the seed text is kept and the reason is returned.

How it works:

1. Split the code into logical lines. Deindented code already has them (``tokenize`` joins
   bracket continuations). Flattened code is cut with ``tokenize`` at bracket depth 0 where one
   statement must end and the next begin: after the ``:`` of a compound statement header, before
   a statement keyword (``import``, ``for``, ``return``...), and between two operands that no
   operator joins (``f() x = 1``). A comment ends at the first word from which the rest reads as
   a plausible statement: it parses on its own and is not a bare name or constant (``# Обучение
   модели for epoch in ...`` splits before ``for``); a comment never ends right after a comma.
2. Choose an indentation level for each line. After a header the level goes one deeper. Other
   lines stay at the current level unless a rule closes blocks: ``elif``/``else``/``except``
   align with their header; ``class`` and plain functions go to column 0, methods (``self`` or
   ``cls`` first) into the innermost class; after ``return``/``raise``/``break``/``continue`` the
   innermost block closes; a ``return`` also leaves loops and branches whose loop variables it
   does not use; a class closes at the first non-method line after its methods; a line that uses
   the variable of an outer ``for`` but none of the inner blocks' variables moves to that outer
   loop's body (``print(f"Epoch {epoch}")`` after the batch loop); a section comment
   (``# Загрузка ...``, ``# Тестирование``...) after a plain statement closes loops and branches;
   the program's last line leaves loops whose variables it does not use. Comments take the level
   of the code line that follows them.
3. Verify with ``ast.parse`` and the collapsed-whitespace comparison.

These rules are heuristics: block ends are not recorded in the seeds, so a restored program is
syntactically valid and token-identical, but which statements close a loop is a best guess.
Every block that one of the guessing rules closes (a ``return`` leaving loops, the outer loop's
variable, a section comment, the program's last line) is recorded as a ``BlockEndGuess`` so the
import can say where the layout is a guess.
"""

from __future__ import annotations

import ast
import io
import itertools
import keyword
import re
import tokenize
from dataclasses import dataclass

from seeds.parsers.messages import Message, gettext_noop
from seeds.parsers.records import BlockEndGuess, ReferenceCode

FLATTENED = "flattened"
DEINDENTED = "deindented"

INDENT = "    "

_COMPOUND = frozenset(
    {"if", "elif", "else", "for", "while", "with", "def", "class", "try", "except", "finally"}
)
_ALWAYS_NEW = frozenset(
    {
        "def",
        "class",
        "return",
        "for",
        "while",
        "with",
        "try",
        "except",
        "finally",
        "elif",
        "del",
        "pass",
        "break",
        "continue",
        "assert",
        "global",
        "nonlocal",
        "raise",
        "async",
    }
)
_TERMINAL = frozenset({"return", "raise", "break", "continue"})
_ATOM_KEYWORDS = frozenset({"True", "False", "None"})
_CLOSING_KEYWORDS = frozenset({"pass", "break", "continue"})
_SKIP_TYPES = frozenset(
    {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)
# First words of comments that open a new top-level section of a script.
_SECTION_WORDS = (
    "загрузка",
    "подготовка",
    "инициализация",
    "тестирование",
    "визуализация",
    "сохранение",
    "экспорт",
    "инференс",
    "оценка",
    "конвертация",
    "кодирование",
    "разделение",
)
_MAX_LOOKAHEAD_TOKENS = 400


class _Unrestorable(Exception):
    pass


@dataclass(frozen=True)
class _Tok:
    type: int
    string: str
    start: int
    end: int


@dataclass
class _Line:
    text: str  # for code: may span several physical lines (deindented continuation)
    is_comment: bool = False
    keyword: str = ""
    header: bool = False
    names: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    is_method: bool = False
    continuation: tuple[str, ...] = ()  # extra physical lines of a deindented logical line
    row: int = 1  # the line of the seed's code text where this line starts (1-based)


@dataclass
class _Block:
    keyword: str
    level: int
    targets: frozenset[str]
    had_def: bool = False
    line: int = 0  # the restored line of the header
    header: str = ""


# Why a guessing rule closed a block (BlockEndGuess.reason).
GUESS_RETURN = "return_leaves_block"
GUESS_OUTER_LOOP = "outer_loop_variable"
GUESS_SECTION = "section_comment"
GUESS_LAST_LINE = "last_line"


def collapse_whitespace(text: str) -> str:
    """The text with every run of whitespace replaced by one space, stripped."""
    return " ".join(text.split())


def restore_flattened(seed_text: str) -> ReferenceCode:
    """Restore code whose newlines all became spaces."""
    return _restore(seed_text, FLATTENED)


def restore_deindented(seed_text: str) -> ReferenceCode:
    """Restore code whose lines lost their indentation."""
    return _restore(seed_text, DEINDENTED)


def _restore(seed_text: str, form: str) -> ReferenceCode:
    try:
        lines = _flattened_lines(seed_text) if form == FLATTENED else _deindented_lines(seed_text)
        restored, guesses, rows = _render(lines)
    except _Unrestorable as error:
        return _kept(seed_text, form, str(error), _LAYOUT_LOST, reason=str(error))
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        return _kept(
            seed_text, form, f"cannot be tokenized: {error}", _NOT_TOKENS, reason=str(error)
        )
    try:
        ast.parse(restored)
    except SyntaxError as error:
        bad_line = ""
        if error.lineno is not None:
            bad_line = restored.splitlines()[error.lineno - 1].strip()
        problem = f"not valid Python: {error.msg} at {bad_line!r}"
        files = [line.text.lstrip("# ").strip() for line in lines if _names_a_file(line)]
        if len(files) > 1:
            problem += f"; the answer holds several files ({', '.join(files)})"
            return _kept(
                seed_text, form, problem, _SEVERAL_FILES, error=error.msg, line=bad_line,
                files=", ".join(files),
            )  # fmt: skip
        return _kept(seed_text, form, problem, _NOT_PYTHON, error=error.msg, line=bad_line)
    if collapse_whitespace(restored) != collapse_whitespace(seed_text):
        return _kept(seed_text, form, "restoration would change tokens", _TOKENS_CHANGE)
    return ReferenceCode(
        seed_text=seed_text,
        restored_text=restored,
        restored=True,
        seed_form=form,
        guesses=tuple(guesses),
        # Flattened code sits on one seed line; deindented code keeps its lines.
        line_rows=tuple(1 if form == FLATTENED else row for row in rows),
    )


_FILE_MARKER = re.compile(r"^#\s*(Dockerfile|[\w.-]+\.(py|txt|toml|cfg|ini|ya?ml|json|sh))\s*$")


def _names_a_file(line: _Line) -> bool:
    """A comment line that names a file ("# Dockerfile", "# app.py")."""
    return line.is_comment and bool(_FILE_MARKER.match(line.text))


# Why code was kept as in the seed, for people (``problem`` keeps the technical English).
_LAYOUT_LOST = gettext_noop("its layout could not be restored (%(reason)s)")
_NOT_TOKENS = gettext_noop("it cannot be read as Python tokens (%(reason)s)")
_NOT_PYTHON = gettext_noop("it is not valid Python (%(error)s at «%(line)s»)")
_SEVERAL_FILES = gettext_noop(
    "it is not valid Python (%(error)s at «%(line)s»): the answer holds several files (%(files)s)"
)
_TOKENS_CHANGE = gettext_noop("restoring it would change its tokens")


def _kept(seed_text: str, form: str, problem: str, message: str, **params: object) -> ReferenceCode:
    return ReferenceCode(
        seed_text=seed_text,
        restored_text=seed_text,
        restored=False,
        seed_form=form,
        problem=problem,
        problem_detail=Message(message, params),
    )


# --- step 1a: logical lines of flattened code ----------------------------------------------------


def _tokens_from(text: str, offset: int) -> list[_Tok]:
    """Tokens of ``text[offset:]`` up to and including the first comment (one physical line)."""
    tokens: list[_Tok] = []
    segment = text[offset:]
    reader = io.StringIO(segment).readline
    for tok in tokenize.generate_tokens(reader):
        if tok.type in _SKIP_TYPES:
            continue
        if tok.start[0] != 1:
            raise _Unrestorable("flattened code spans several lines")
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise _Unrestorable(f"unexpected character {tok.string!r}")
        tokens.append(_Tok(tok.type, tok.string, offset + tok.start[1], offset + tok.end[1]))
        if tok.type == tokenize.COMMENT:
            break
    return tokens


def _lazy_tokens(text: str) -> list[_Tok]:
    """At most ``_MAX_LOOKAHEAD_TOKENS`` tokens of ``text``, stopping at a comment; raises
    ``tokenize.TokenError`` or ``_Unrestorable`` on text that is not code."""
    tokens: list[_Tok] = []
    reader = io.StringIO(text).readline
    for tok in tokenize.generate_tokens(reader):
        if tok.type in _SKIP_TYPES:
            continue
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise _Unrestorable("not code")
        if tok.type == tokenize.COMMENT or len(tokens) >= _MAX_LOOKAHEAD_TOKENS:
            break
        tokens.append(_Tok(tok.type, tok.string, tok.start[1], tok.end[1]))
    return tokens


def _is_kw(tok: _Tok, *names: str) -> bool:
    return tok.type == tokenize.NAME and tok.string in names


def _ends_operand(tok: _Tok) -> bool:
    if tok.type in (tokenize.NUMBER, tokenize.STRING):
        return True
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in _ATOM_KEYWORDS
    return tok.type == tokenize.OP and tok.string in ")]}"


def _starts_operand(tokens: list[_Tok], index: int) -> bool:
    tok = tokens[index]
    if tok.type in (tokenize.NUMBER, tokenize.STRING):
        return True
    if tok.type != tokenize.NAME:
        return False
    if tok.string == "not":
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        return following is None or not _is_kw(following, "in")
    return not keyword.iskeyword(tok.string) or tok.string in (*_ATOM_KEYWORDS, "lambda", "await")


def _if_is_statement(tokens: list[_Tok], index: int) -> bool:
    """An ``if`` at depth 0: a statement when its ``:`` comes before any ``else``."""
    depth = 0
    lambdas = 0
    for tok in tokens[index + 1 :]:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and _is_kw(tok, "lambda"):
            lambdas += 1
        elif depth == 0 and tok.type == tokenize.OP and tok.string == ":":
            if lambdas:
                lambdas -= 1
            else:
                return True
        elif depth == 0 and _is_kw(tok, "else"):
            return False
    return False


def _decorator_starts(tokens: list[_Tok], index: int) -> bool:
    depth = 0
    for tok in tokens[index + 1 :]:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif depth == 0 and _is_kw(tok, "def", "class", "async"):
            return True
        elif depth == 0 and not (tok.type == tokenize.NAME or tok.string == "."):
            return False
    return False


def _split_statements(tokens: list[_Tok], *, first_only: bool = False) -> list[list[_Tok]]:
    """Cut a token stream of flattened code into statements (see the module docstring)."""
    statements: list[list[_Tok]] = []
    current: list[_Tok] = []
    depth = 0
    lambdas = 0
    for index, tok in enumerate(tokens):
        if current and depth == 0 and _boundary(tokens, index, current, lambdas):
            statements.append(current)
            if first_only:
                return statements
            current = []
            lambdas = 0
        current.append(tok)
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
            if depth < 0:
                raise _Unrestorable(f"unbalanced {tok.string!r}")
        elif depth == 0 and _is_kw(tok, "lambda"):
            lambdas += 1
        elif depth == 0 and tok.type == tokenize.OP and tok.string == ":" and lambdas:
            lambdas -= 1
    if current:
        if depth != 0:
            raise _Unrestorable("unbalanced brackets")
        statements.append(current)
    return statements


def _boundary(tokens: list[_Tok], index: int, current: list[_Tok], lambdas: int) -> bool:
    tok = tokens[index]
    prev = current[-1]
    first = current[0]
    if prev.type == tokenize.OP and prev.string == ":" and not lambdas:
        return _is_kw(first, *_COMPOUND) or (
            _is_kw(first, "async") and len(current) > 1 and _is_kw(current[1], *_COMPOUND)
        )
    if prev.type == tokenize.OP and prev.string == ";":
        return True
    if _is_kw(prev, *_CLOSING_KEYWORDS):
        return True
    if tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
        word = tok.string
        if word == "import":
            return not (_is_kw(first, "from") and not any(_is_kw(t, "import") for t in current))
        if word == "from":
            return not (_is_kw(prev, "yield") or _is_kw(first, "raise"))
        if word in ("def", "with", "for") and _is_kw(prev, "async"):
            return False
        if word in _ALWAYS_NEW:
            return True
        if word == "if":
            return _if_is_statement(tokens, index)
        if word == "else":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            return following is not None and following.string == ":"
        if word == "yield":
            return _ends_operand(prev)
    if tok.type == tokenize.OP and tok.string == "@":
        return _ends_operand(prev) and _decorator_starts(tokens, index)
    if tok.type == tokenize.STRING and prev.type == tokenize.STRING:
        return False  # implicit concatenation
    return _ends_operand(prev) and _starts_operand(tokens, index)


def _plausible_start(rest: str) -> bool:
    """Whether ``rest`` starts with a statement a comment could have been followed by."""
    try:
        tokens = _lazy_tokens(rest)
    except (tokenize.TokenError, _Unrestorable, SyntaxError):
        return False
    if not tokens:
        return False
    try:
        statements = _split_statements(tokens, first_only=True)
    except _Unrestorable:
        return False
    statement = statements[0]
    text = rest[statement[0].start : statement[-1].end]
    node = _parse_alone(text, statement[0].string, _header_tokens(statement))
    if node is None or isinstance(node, ast.AnnAssign):
        return False
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom)
    return True


def _header_tokens(statement: list[_Tok]) -> bool:
    last = statement[-1]
    return last.type == tokenize.OP and last.string == ":" and _is_kw(statement[0], *_COMPOUND)


def _comment_end(text: str, start: int) -> int:
    """Where the comment starting at ``start`` ends in flattened code."""
    position = start + 1
    seen_word = False
    length = len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        if seen_word and text[position - 1].isspace():
            previous_word = text[start:position].rstrip()
            if not previous_word.endswith(",") and _plausible_start(text[position:]):
                return position
        seen_word = True
        while position < length and not text[position].isspace():
            position += 1
    return length


def _flattened_lines(seed_text: str) -> list[_Line]:
    text = seed_text.strip()
    if "\n" in text:
        raise _Unrestorable("flattened code spans several lines")
    tokens: list[_Tok] = []
    offset = 0
    while offset < len(text):
        chunk = _tokens_from(text, offset)
        if not chunk:
            break
        if chunk[-1].type == tokenize.COMMENT:
            comment = chunk.pop()
            end = _comment_end(text, comment.start)
            tokens.extend(chunk)
            tokens.append(_Tok(tokenize.COMMENT, text[comment.start : end], comment.start, end))
            offset = end
        else:
            tokens.extend(chunk)
            break
    lines: list[_Line] = []
    code: list[_Tok] = []

    def flush() -> None:
        for statement in _split_statements(code):
            line = _code_line(text[statement[0].start : statement[-1].end], statement)
            parts = _exploded(text, statement)
            if parts:
                line.text = parts[0]
                line.continuation = tuple(parts[1:])
            lines.append(line)
        code.clear()

    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            if _depth(code) != 0:
                raise _Unrestorable("a comment inside brackets cannot be placed")
            flush()
            lines.append(_Line(text=text[tok.start : tok.end].rstrip(), is_comment=True))
        else:
            code.append(tok)
    flush()
    return lines


def _exploded(text: str, statement: list[_Tok]) -> list[str]:
    """One item per line for the first bracket whose seed text has a space right after its
    opening and right before its closing (``nn.Sequential( a, b )``): the flattening turned the
    original line breaks there into those spaces. Empty when no bracket qualifies."""
    for open_index, tok in enumerate(statement):
        if not (tok.type == tokenize.OP and tok.string in "([{"):
            continue
        if not text[tok.end : tok.end + 1].isspace():
            continue
        depth = 0
        commas: list[_Tok] = []
        for close_index in range(open_index, len(statement)):
            inner = statement[close_index]
            if inner.type == tokenize.OP and inner.string in "([{":
                depth += 1
            elif inner.type == tokenize.OP and inner.string in ")]}":
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and inner.string == ",":
                commas.append(inner)
        close = statement[close_index]
        if depth != 0 or not text[close.start - 1 : close.start].isspace():
            continue
        if close_index == open_index + 1:
            continue
        cuts = (
            [tok.end]
            + [comma.end for comma in commas if text[comma.end : comma.end + 1].isspace()]
            + [close.start]
        )
        head = text[statement[0].start : tok.end]
        items = [text[a:b].strip() for a, b in itertools.pairwise(cuts)]
        tail = text[close.start : statement[-1].end]
        return [head, *[item for item in items if item], tail]
    return []


def _depth(tokens: list[_Tok]) -> int:
    depth = 0
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
    return depth


# --- step 1b: logical lines of deindented code ---------------------------------------------------


def _deindented_lines(seed_text: str) -> list[_Line]:
    physical = [line.strip() for line in seed_text.strip("\n").split("\n")]
    joined = "\n".join(physical) + "\n"
    lines: list[_Line] = []
    statement: list[tokenize.TokenInfo] = []
    for tok in tokenize.generate_tokens(io.StringIO(joined).readline):
        if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
            raise _Unrestorable(f"unexpected character {tok.string!r} on line {tok.start[0]}")
        if tok.type == tokenize.COMMENT and not statement:
            lines.append(_Line(text=physical[tok.start[0] - 1], is_comment=True, row=tok.start[0]))
            continue
        if tok.type == tokenize.NL and not statement:
            continue
        if tok.type == tokenize.NEWLINE:
            first_row = statement[0].start[0]
            last_row = tok.start[0]
            texts = physical[first_row - 1 : last_row]
            simple = [
                _Tok(t.type, t.string, 0, 0)
                for t in statement
                if t.type not in (tokenize.NL, tokenize.COMMENT)
            ]
            line = _code_line(" ".join(texts), simple)
            line.text = texts[0]
            line.continuation = tuple(texts[1:])
            line.row = first_row
            lines.append(line)
            statement = []
            continue
        statement.append(tok)
    if statement:
        raise _Unrestorable("the code ends inside a statement")
    return lines


# --- step 2: indentation -------------------------------------------------------------------------


def _parse_alone(text: str, first_word: str, header: bool) -> ast.stmt | None:
    """Parse one statement, wrapping block parts so that they parse without their context."""
    body = text + "\n pass" if header else text
    if first_word in ("elif", "else"):
        source = "if _:\n pass\n" + body
    elif first_word in ("except", "finally"):
        source = "try:\n pass\n" + body
    elif first_word == "@":
        source = body + "\ndef _(): pass"
    else:
        source = body
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    if not module.body:
        return None
    node = module.body[-1] if first_word in ("elif", "else", "except", "finally") else None
    if node is not None:
        return node
    return module.body[0]


def _code_line(text: str, tokens: list[_Tok]) -> _Line:
    first = tokens[0].string
    if first == "async" and len(tokens) > 1:
        first = tokens[1].string
    header = _header_tokens(tokens) or (tokens[0].string == "async" and tokens[-1].string == ":")
    node = _parse_alone(text, tokens[0].string, header)
    names: set[str] = set()
    targets: set[str] = set()
    is_method = False
    if node is not None:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if isinstance(node, ast.For | ast.AsyncFor):
            targets = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    targets |= {
                        n.id for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)
                    }
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and first != "@":
            arguments = node.args.posonlyargs + node.args.args
            is_method = bool(arguments) and arguments[0].arg in ("self", "cls")
        if first == "@":
            decorator = text.lstrip("@").split("(")[0].strip()
            is_method = decorator in ("staticmethod", "classmethod", "property") or (
                decorator.endswith((".setter", ".getter", ".deleter"))
            )
    return _Line(
        text=text,
        keyword=first if first in _COMPOUND or first in _TERMINAL or first == "@" else "",
        header=header,
        names=frozenset(names),
        targets=frozenset(targets),
        is_method=is_method,
    )


def _innermost(stack: list[_Block], limit: int, *keywords: str) -> int | None:
    for index in range(min(limit, len(stack)) - 1, -1, -1):
        if stack[index].keyword in keywords:
            return index
    return None


def _section_comment(comments: list[_Line]) -> bool:
    for comment in comments:
        words = comment.text.lstrip("#").split()
        if words and words[0].lower().startswith(_SECTION_WORDS):
            return True
    return False


def _choose_level(
    line: _Line,
    stack: list[_Block],
    previous: _Line | None,
    following: _Line | None,
    comments: list[_Line],
    is_last: bool,
) -> tuple[int, str]:
    """The line's indentation level, and the guessing rule that lowered it ("" when none
    did: the level follows from the code itself)."""
    level = len(stack)
    word = line.keyword
    if word == "elif":
        match = _innermost(stack, level, "if", "elif")
        return (match if match is not None else level), ""
    if word == "else":
        match = _innermost(stack, level, "if", "elif", "for", "while", "try", "except")
        return (match if match is not None else level), ""
    if word in ("except", "finally"):
        match = _innermost(stack, level, "try", "except", "else")
        return (match if match is not None else level), ""
    if previous is not None and previous.keyword == "@":
        return level, ""
    if word == "class":
        return 0, ""
    if word in ("def", "@"):
        method = line.is_method
        if word == "@" and following is not None and following.keyword == "def":
            method = method or following.is_method
        if method:
            match = _innermost(stack, level, "class")
            return (match + 1 if match is not None else 0), ""
        return 0, ""
    if previous is not None and previous.keyword in _TERMINAL:
        level -= 1
    reason = ""
    if word == "return":
        start = level
        while level > 0 and stack[level - 1].keyword not in ("def", "class"):
            if stack[level - 1].targets & line.names:
                break
            level -= 1
        if level < start:
            reason = GUESS_RETURN
    if level > 0 and stack[level - 1].keyword == "class" and stack[level - 1].had_def:
        level -= 1
    moved = _outer_loop_level(line, stack, level)
    if moved < level:
        level, reason = moved, GUESS_OUTER_LOOP
    if comments and previous is not None and not previous.header and _section_comment(comments):
        left = _leave_blocks(stack, level, keep_targets=frozenset())
        if left < level:
            level, reason = left, GUESS_SECTION
    if is_last and not line.header:
        left = _leave_loops(stack, level, line.names)
        if left < level:
            level, reason = left, GUESS_LAST_LINE
    return max(level, 0), reason


def _outer_loop_level(line: _Line, stack: list[_Block], level: int) -> int:
    """Move a line that uses an outer loop's variable, and no inner block's, to that loop."""
    for index in range(level - 1, -1, -1):
        block = stack[index]
        if block.keyword in ("def", "class"):
            return level
        if block.keyword == "for" and block.targets & line.names:
            inner = stack[index + 1 : level]
            if inner and all(
                b.keyword in ("for", "while", "with", "if", "elif", "else")
                and not (b.targets & line.names)
                for b in inner
            ):
                return index + 1
            return level
    return level


def _leave_loops(stack: list[_Block], level: int, names: frozenset[str]) -> int:
    """Leave the outermost loop (with everything inside it) whose variables ``names`` avoid."""
    result = level
    for index in range(level - 1, -1, -1):
        block = stack[index]
        if block.keyword in ("def", "class") or block.targets & names:
            break
        if block.keyword in ("for", "while"):
            result = index
    return result


def _leave_blocks(stack: list[_Block], level: int, keep_targets: frozenset[str]) -> int:
    while level > 0:
        block = stack[level - 1]
        if block.keyword in ("def", "class", "try", "except", "finally"):
            break
        if block.targets & keep_targets:
            break
        level -= 1
    return level


def _render(lines: list[_Line]) -> tuple[str, list[BlockEndGuess], list[int]]:
    """The restored text, the block ends it guessed, and for each restored line the line of
    the seed's code it comes from (0 for the blank lines it adds)."""
    if not lines:
        raise _Unrestorable("no code")
    code_indexes = [i for i, line in enumerate(lines) if not line.is_comment]
    if not code_indexes:
        raise _Unrestorable("no code, only comments")
    last_code = code_indexes[-1]
    stack: list[_Block] = []
    output: list[str] = []
    rows: list[int] = []
    guesses: list[BlockEndGuess] = []
    pending: list[_Line] = []
    previous: _Line | None = None
    after_header = False
    for index, line in enumerate(lines):
        if line.is_comment:
            pending.append(line)
            continue
        reason = ""
        if after_header:
            level = len(stack)
        else:
            following = next((later for later in lines[index + 1 :] if not later.is_comment), None)
            level, reason = _choose_level(
                line, stack, previous, following, pending, is_last=index == last_code
            )
            closed = stack[level:]
            closed_definition = any(b.keyword in ("def", "class") for b in closed)
            del stack[level:]
            opens_definition = line.keyword in ("def", "class", "@")
            if output and level == 0 and (opens_definition or closed_definition):
                output.append("")  # PEP 8: a blank line around top-level definitions
                rows.append(0)
            if reason and closed:
                # One guess per place, naming the outermost block it closed.
                guesses.append(
                    BlockEndGuess(
                        line=len(output) + len(pending) + 1,
                        header_line=closed[0].line,
                        header=closed[0].header,
                        statement=line.text,
                        reason=reason,
                        seed_line=(pending[0] if pending else line).row,
                    )
                )
        for comment in pending:
            output.append(INDENT * level + comment.text)
            rows.append(comment.row)
        pending = []
        output.append(INDENT * level + line.text)
        rows.append(line.row)
        header_line = len(output)
        for offset, continuation in enumerate(line.continuation, start=1):
            closing = continuation[:1] in (")", "]", "}")
            output.append(INDENT * (level if closing else level + 1) + continuation)
            rows.append(line.row + offset)
        if line.keyword == "def" and stack and stack[-1].keyword == "class":
            stack[-1].had_def = True
        if line.header:
            stack.append(
                _Block(
                    keyword=line.keyword,
                    level=level,
                    targets=line.targets,
                    line=header_line,
                    header=line.text,
                )
            )
        after_header = line.header
        previous = line
    if after_header:
        raise _Unrestorable("the code ends with a block header")
    level = len(stack) if previous is not None and not previous.header else 0
    for comment in pending:
        output.append(INDENT * level + comment.text)
        rows.append(comment.row)
    return "\n".join(output) + "\n", guesses, rows
