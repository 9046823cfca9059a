"""Facts about Python files from their syntax tree; run as ``python -m empathy_orchestrate.astfacts FILE...``.

Prints one JSON object ``{path: facts}`` on stdout. This module is the "tool" behind the
Docs, Performance, Architecture and Refactoring agents; it imports only the standard
library so that it starts fast in its own process. Facts per file:

- ``lines``: number of lines; ``syntax_error``: ``[line, message]`` or ``null``
- ``docs``: ``[kind, qualname, line, documented]`` for the module, public classes,
  public functions and public methods of public classes
- ``functions``: ``[qualname, line, end_line, complexity, nesting, loop_depth, params,
  body_hash]``; complexity is McCabe's (1 + decision points), ``body_hash`` identifies the
  body with local names normalised (``null`` for bodies under :data:`MIN_CLONE_LINES`)
- ``imports``: ``[line, level, module, names, runtime]``; ``runtime`` is 0 for imports
  inside functions or ``if TYPE_CHECKING:`` blocks
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from typing import Any

FACTS_VERSION = 1
MIN_CLONE_LINES = 6
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def complexity(func: ast.AST) -> int:
    """McCabe complexity of ``func``'s own body (nested functions and classes excluded)."""
    score = 1
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (*_DEFS, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.IfExp, *_LOOPS, ast.ExceptHandler, ast.match_case)):
            score += 1
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            score += 1 + len(node.ifs)
        stack.extend(ast.iter_child_nodes(node))
    return score


def _depths(node: ast.AST, nesting: int = 0, loops: int = 0) -> tuple[int, int]:
    """(max block nesting, max loop nesting) below ``node``, not entering nested defs."""
    best_nesting, best_loops = nesting, loops
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (*_DEFS, ast.ClassDef, ast.Lambda)):
            continue
        child_nesting = nesting + 1 if isinstance(child, _BLOCKS) else nesting
        is_loop = isinstance(child, (*_LOOPS, ast.comprehension))
        child_loops = loops + 1 if is_loop else loops
        n, lp = _depths(child, child_nesting, child_loops)
        best_nesting, best_loops = max(best_nesting, n), max(best_loops, lp)
    return best_nesting, best_loops


class _Normalise(ast.NodeTransformer):
    """Rename local names and arguments to their order of appearance (type-2 clones)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(id=self._name(node.id), ctx=node.ctx)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        return ast.arg(arg=self._name(node.arg))


def body_hash(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Hash of the body with docstring removed and local names normalised, or ``None`` if short."""
    end = func.end_lineno or func.lineno
    if end - func.lineno + 1 < MIN_CLONE_LINES:
        return None
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) < 2:
        return None
    normalise = _Normalise()
    nodes = [normalise.visit(func.args), *(normalise.visit(node) for node in body)]
    dumped = "\n".join(ast.dump(node, annotate_fields=False, include_attributes=False) for node in nodes)
    return hashlib.blake2b(dumped.encode(), digest_size=8).hexdigest()


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> int:
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if is_method and names and names[0] in {"self", "cls"}:
        names = names[1:]
    return len(names)


def _skip_doc(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in func.decorator_list:
        if isinstance(deco, ast.Name) and deco.id == "overload":
            return True
        if isinstance(deco, ast.Attribute) and deco.attr in {"setter", "deleter", "overload"}:
            return True
    return False


class _Collector:
    def __init__(self) -> None:
        self.docs: list[list[Any]] = []
        self.functions: list[list[Any]] = []
        self.imports: list[list[Any]] = []

    def module(self, tree: ast.Module) -> None:
        if tree.body:
            self.docs.append(["module", "", 1, ast.get_docstring(tree) is not None])
        self.block(tree.body, prefix="", public=True, in_class=False, runtime=True)

    def block(
        self, body: list[ast.stmt], *, prefix: str, public: bool, in_class: bool, runtime: bool
    ) -> None:
        for node in body:
            self.statement(node, prefix=prefix, public=public, in_class=in_class, runtime=runtime)

    def statement(self, node: ast.AST, *, prefix: str, public: bool, in_class: bool, runtime: bool) -> None:
        if isinstance(node, _DEFS):
            self.function(node, prefix=prefix, public=public, in_class=in_class)
        elif isinstance(node, ast.ClassDef):
            qualname = prefix + node.name
            is_public = public and not node.name.startswith("_")
            if is_public:
                self.docs.append(["class", qualname, node.lineno, ast.get_docstring(node) is not None])
            self.block(node.body, prefix=qualname + ".", public=is_public, in_class=True, runtime=runtime)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append([node.lineno, 0, alias.name, [], int(runtime)])
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            self.imports.append([node.lineno, node.level, node.module or "", names, int(runtime)])
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            self.block(node.body, prefix=prefix, public=public, in_class=in_class, runtime=False)
            self.block(node.orelse, prefix=prefix, public=public, in_class=in_class, runtime=runtime)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    self.statement(child, prefix=prefix, public=public, in_class=in_class, runtime=runtime)

    def function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, *, prefix: str, public: bool, in_class: bool
    ) -> None:
        qualname = prefix + node.name
        if public and not node.name.startswith("_") and not _skip_doc(node):
            kind = "method" if in_class else "function"
            self.docs.append([kind, qualname, node.lineno, ast.get_docstring(node) is not None])
        nesting, loops = _depths(node)
        self.functions.append(
            [
                qualname,
                node.lineno,
                node.end_lineno or node.lineno,
                complexity(node),
                nesting,
                loops,
                _params(node, in_class),
                body_hash(node),
            ]
        )
        self.block(node.body, prefix=qualname + ".", public=False, in_class=False, runtime=False)


def facts_of(source: bytes | str) -> dict[str, Any]:
    """The facts of one file's source (see the module docstring)."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return {"lines": lines, "syntax_error": [line, str(exc)], "docs": [], "functions": [], "imports": []}
    collector = _Collector()
    collector.module(tree)
    return {
        "lines": lines,
        "syntax_error": None,
        "docs": collector.docs,
        "functions": collector.functions,
        "imports": collector.imports,
    }


def valid_facts(result: Any) -> bool:
    """Whether ``result`` has the shape :func:`facts_of` returns."""
    return (
        isinstance(result, dict)
        and isinstance(result.get("lines"), int)
        and all(isinstance(result.get(k), list) for k in ("docs", "functions", "imports"))
        and (result.get("syntax_error") is None or isinstance(result.get("syntax_error"), list))
        and all(isinstance(f, list) and len(f) == 8 for f in result["functions"])
        and all(isinstance(d, list) and len(d) == 4 for d in result["docs"])
        and all(isinstance(i, list) and len(i) == 5 for i in result["imports"])
    )


def main(paths: list[str]) -> int:
    """Print the facts of ``paths`` as one JSON object."""
    out: dict[str, Any] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                out[path] = facts_of(handle.read())
        except OSError as exc:
            out[path] = {
                "lines": 0,
                "syntax_error": [1, str(exc)],
                "docs": [],
                "functions": [],
                "imports": [],
            }
    json.dump(out, sys.stdout, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
