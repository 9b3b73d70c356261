"""The names a lab's submission must define, checked on its source outside the sandbox.

A judge may declare ``INTERFACE``: the functions and classes of the lab's contract
(shared/specs/labs.md) and how the probe calls them::

    INTERFACE = [
        Function("iou", ("box1", "box2")),
        Function("mask_tokens", ("input_ids", "mask_token_id", "vocab_size"),
                 keywords=("mlm_probability", "special_tokens_mask", "generator")),
        Class("SimpleCNN", init_keywords=("num_classes",), methods={"forward": ("x",)}),
    ]

``params`` are passed by position, ``keywords`` by name. The engine reads the submission's
source (it never runs it for this) and reports, in the learner's language, each name that is
missing and each definition that cannot take the call the checks make: "The solution has no
function iou_matrix(a, b)." These messages explain failures instead of a traceback; they earn
or cost no points (the tests that call a missing name fail anyway). A name bound otherwise
than by ``def`` or ``class`` (an assignment, an import) is taken on trust, and so is a method
a class may inherit from a base class defined elsewhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from labs.grader_api import LabDefinitionError, Message, message


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...] = ()  # passed by position, in this order
    keywords: tuple[str, ...] = ()  # passed by name

    def call(self) -> str:
        return f"{self.name}({', '.join((*self.params, *self.keywords))})"


@dataclass(frozen=True)
class Class:
    name: str
    init: tuple[str, ...] = ()  # the constructor's positional arguments
    init_keywords: tuple[str, ...] = ()
    methods: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # without self


Declaration = Function | Class


def validate_interface(interface: Iterable[object]) -> tuple[Declaration, ...]:
    declared = tuple(interface)
    for item in declared:
        if not isinstance(item, Function | Class):
            raise LabDefinitionError(
                f"INTERFACE holds {item!r}: use labs.interface.Function or labs.interface.Class"
            )
    return declared


def interface_problems(tree: ast.Module | None, interface: Iterable[Declaration]) -> list[Message]:
    """What the source lacks of ``interface``, as messages; [] when nothing is missing or
    the source does not parse (the syntax error is reported on its own)."""
    if tree is None:
        return []
    bound = _module_bindings(tree)
    problems: list[Message] = []
    for item in interface:
        node = bound.get(item.name)
        if isinstance(item, Function):
            if node is None:
                problems.append(
                    message(_("The solution has no function {call}."), call=item.call())
                )
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                problems += _signature_problems(node, item.params, item.keywords, item.call())
        else:
            if node is None:
                problems.append(message(_("The solution has no class {name}."), name=item.name))
            elif isinstance(node, ast.ClassDef):
                problems += _class_problems(node, item, bound)
    return problems


def _module_bindings(tree: ast.Module) -> dict[str, ast.AST]:
    """The last binding of each module-level name (what the module holds after it ran)."""
    bound: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        bound[name.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = node
        elif not isinstance(node, ast.Expr):
            # if/try/with/for at module level: whatever they bind is taken on trust.
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    bound.setdefault(inner.name, node)
                elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    bound.setdefault(inner.id, node)
    return bound


def _class_problems(node: ast.ClassDef, item: Class, bound: dict[str, ast.AST]) -> list[Message]:
    problems: list[Message] = []
    if item.init or item.init_keywords:
        init, trusted = _find_method(node, "__init__", bound)
        call = f"{item.name}({', '.join((*item.init, *item.init_keywords))})"
        if init is not None:
            problems += _signature_problems(
                init, item.init, item.init_keywords, call, skip_first=True, label=item.name
            )
        elif not trusted and item.init:
            problems.append(
                message(_("Class {name} has no __init__ to take {call}."), name=item.name,
                        call=call)
            )  # fmt: skip
    for method, params in item.methods.items():
        found, trusted = _find_method(node, method, bound)
        call = f"{method}({', '.join(params)})"
        if found is None:
            if not trusted:
                problems.append(
                    message(_("Class {name} has no method {call}."), name=item.name, call=call)
                )
        else:
            problems += _signature_problems(
                found, params, (), f"{item.name}.{call}", skip_first=True,
                label=f"{item.name}.{method}",
            )  # fmt: skip
    return problems


def _find_method(
    node: ast.ClassDef, name: str, bound: dict[str, ast.AST], seen: frozenset[str] = frozenset()
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, bool]:
    """The method ``name`` of the class or of its bases defined in the module; the flag says
    whether the class may inherit it from a base that is not (taken on trust)."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
            return item, False
        if isinstance(item, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in item.targets
        ):
            return None, True  # forward = something: taken on trust
    trusted = False
    for base in node.bases:
        base_name = base.id if isinstance(base, ast.Name) else None
        base_node = bound.get(base_name) if base_name else None
        if isinstance(base_node, ast.ClassDef) and base_name not in seen:
            found, inherited = _find_method(base_node, name, bound, seen | {node.name})
            if found is not None:
                return found, False
            trusted = trusted or inherited
        elif not _is_nn_module(base):
            trusted = True  # a base from elsewhere may define it
    return None, trusted


def _is_nn_module(base: ast.expr) -> bool:
    """nn.Module / torch.nn.Module / Module: a base known to define no contract method."""
    if isinstance(base, ast.Attribute):
        return base.attr == "Module"
    return isinstance(base, ast.Name) and base.id == "Module"


def _signature_problems(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    params: tuple[str, ...],
    keywords: tuple[str, ...],
    call: str,
    *,
    skip_first: bool = False,
    label: str | None = None,
) -> list[Message]:
    """[] if ``node`` takes ``params`` by position and ``keywords`` by name; else a message
    that shows the call and the definition (as ``label``, the function's name by default)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if skip_first and not _is_static(node):
        positional = positional[1:]
    defaults = len(args.defaults)
    required = positional[: len(positional) - defaults] if defaults else positional
    named = {arg.arg for arg in (*args.args, *args.kwonlyargs)}
    required_keywords = [
        arg.arg for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None and arg.arg not in keywords
    ]  # fmt: skip
    fits = (
        (args.vararg is not None or len(positional) >= len(params))
        and len(required) <= len(params)
        and (args.kwarg is not None or all(name in named for name in keywords))
        and not required_keywords
    )
    if fits:
        return []
    return [
        message(
            _("The checks call {call}, but it is defined as {defined}."),
            call=call,
            defined=f"{label or node.name}({_describe(args, skip_first and not _is_static(node))})",
        )
    ]


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(decorator, ast.Name) and decorator.id == "staticmethod"
        for decorator in node.decorator_list
    )


def _describe(args: ast.arguments, skip_first: bool) -> str:
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [
        arg.arg + ("=…" if default is not None else "")
        for arg, default in zip(positional, defaults, strict=True)
    ]
    if skip_first:
        parts = parts[1:]
    if args.vararg is not None:
        parts.append("*" + args.vararg.arg)
    elif args.kwonlyargs:
        parts.append("*")
    parts += [
        arg.arg + ("=…" if default is not None else "")
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    if args.kwarg is not None:
        parts.append("**" + args.kwarg.arg)
    return ", ".join(parts)


def joined(messages: list[Message]) -> Message:
    """Several messages as one, in order."""
    text = " ".join("{m%d}" % index for index in range(len(messages)))  # noqa: UP031
    return Message(text, {f"m{index}": item for index, item in enumerate(messages)})
