"""Babel extractor for eoffice's Python sources: gettext calls plus domain error messages.

Services raise ``DomainError``s with a Vietnamese message template and never translate it
themselves (they run outside requests too: CLI, Celery). The web layer translates at display
time — ``flash(error_message(exc))`` in views, ``translate(message, params)`` in
``core.http.error_response``, both ``_(exc.template, **exc.params)`` — so those templates
must be in the catalogue although no ``_()`` call wraps their literals. This extractor yields
everything Babel's Python extractor finds, and in addition:

* the message template of every ``DomainError`` subclass call
  (``raise NotFound("Không có %(code)s.", params={"code": code})``): the first positional
  argument or ``message=``, either a string literal or a module-level constant holding one
  (``BAD_CREDENTIALS = "..."``);
* the template of every ``Translatable("...")`` call (a message parameter that is itself
  text for people, e.g. ``what=Translatable("Tệp đính kèm “%(name)s”", name=name)``);
* the message (third argument) of ``error_response(status, code, message)`` calls;
* the display texts of the module-level tables named in ``DISPLAY_TABLES`` (``HTTP_MESSAGES``,
  ``ROLE_NAMES``, the incoming and outgoing status/priority/action names...), which views and
  templates pass through ``_()``. A table is a dict (``key -> text`` or ``key -> (code, text)``)
  or a sequence of ``(key, text)`` pairs; values that are machine codes (a lower-case ASCII
  identifier such as ``"received"``) are not display texts and are skipped.

An f-string message cannot have a catalogue entry; each one is reported on stderr so it can
be rewritten as a template: ``Conflict("... %(name)s ...", params={"name": value})``.
``babel.cfg`` names this function in its ``[extractors]`` section.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from eoffice.core.errors import DomainError

#: Module-level tables whose display strings views and templates translate with ``_()``.
DISPLAY_TABLES = frozenset({
    "HTTP_MESSAGES", "ROLE_NAMES",
    # incoming: models (status, urgency, timeliness), views (list tabs), service (refusals)
    "STATUS_NAMES", "PRIORITY_NAMES", "TIMELINESS_NAMES", "LIST_TABS", "_WRONG_STATE",
    # outgoing: workflow, service and delivery labels
    "STATUS_LABELS", "ACTION_LABELS", "VERSION_LABELS", "URGENCY_LABELS",
    "CONFIDENTIALITY_LABELS", "DELIVERY_LABELS",
    # dashboard: the figures and the "my work" queues
    "FIGURE_NAMES", "QUEUE_NAMES",
})

#: A table value that is a machine code, not a text shown to people.
CODE = re.compile(r"[a-z][a-z0-9_]*")

#: Calls whose argument at the given index is a message shown to people.
MESSAGE_CALLS = {"error_response": 2, "Translatable": 0}

COMMENT = "Literal without _() at its source: translated where it is displayed."

Result = tuple[int, str | None, str | tuple[str, ...], list[str]]


def error_class_names() -> frozenset[str]:
    """Names of ``DomainError`` and all its subclasses currently defined."""
    names: set[str] = set()
    pending: list[type] = [DomainError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names)


def extract_eoffice(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                    options: Mapping[str, Any]) -> Iterator[Result]:
    """Babel extraction method: Python gettext calls plus domain messages (see module doc)."""
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    filename = getattr(fileobj, "name", "<source>")
    tree = ast.parse(source, filename=filename)
    for lineno, message in domain_messages(tree, filename):
        yield lineno, None, message, [COMMENT]


def domain_messages(tree: ast.Module, filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """``(line, message)`` for each literal domain message in a parsed module."""
    constants = _string_constants(tree)
    errors = error_class_names()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            arg = _message_argument(node, errors)
            if arg is None:
                continue
            text = _literal(arg, constants)
            if text is not None:
                yield arg.lineno, text
            elif isinstance(arg, ast.JoinedStr):
                print(f"{filename}:{arg.lineno}: f-string message cannot be translated",
                      file=sys.stderr)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _assigns_table(node):
            if isinstance(node.value, ast.Dict):
                yield from _table_texts(node.value.values)
            elif isinstance(node.value, ast.Tuple | ast.List):
                yield from _table_texts(node.value.elts)


def _callee_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _message_argument(node: ast.Call, errors: frozenset[str]) -> ast.expr | None:
    name = _callee_name(node)
    if name in errors:
        index = 0
    elif name in MESSAGE_CALLS:
        index = MESSAGE_CALLS[name]
    else:
        return None
    if len(node.args) > index:
        return node.args[index]
    for keyword in node.keywords:
        if keyword.arg == "message":
            return keyword.value
    return None


def _literal(node: ast.expr, constants: Mapping[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _string_constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            found[node.targets[0].id] = node.value.value
    return found


def _assigns_table(node: ast.Assign | ast.AnnAssign) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(isinstance(t, ast.Name) and t.id in DISPLAY_TABLES for t in targets)


def _table_texts(values: list[ast.expr | None]) -> Iterator[tuple[int, str]]:
    for value in values:
        # ROLE_NAMES maps key -> text; HTTP_MESSAGES maps status -> (code, text);
        # LIST_TABS is a sequence of (key, text) pairs.
        if isinstance(value, ast.Tuple | ast.List) and value.elts:
            value = value.elts[-1]
        if (isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value
                and not CODE.fullmatch(value.value)):
            yield value.lineno, value.value
