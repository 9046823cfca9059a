"""The import graph of a repository's modules, built from per-file import facts.

Nodes are the repository's own modules (by dotted name); an edge ``a -> b`` means ``a``
imports ``b`` when it is imported (imports inside functions or ``if TYPE_CHECKING:``
are left out: they cannot make an import-time cycle). Cycles are the strongly
connected components with more than one module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import attrs


@attrs.define
class ImportGraph:
    """``edges[a][b]`` is the line of ``a``'s first import of ``b``."""

    modules: dict[str, str]  # module -> rel path
    edges: dict[str, dict[str, int]] = attrs.Factory(dict)

    def add(self, source: str, target: str, line: int) -> None:
        """Record that ``source`` imports ``target`` at ``line`` (first import wins)."""
        if source != target:
            self.edges.setdefault(source, {}).setdefault(target, line)

    def cycles(self) -> list[list[str]]:
        """Strongly connected components of two or more modules, each sorted, largest first."""
        components = [sorted(c) for c in _tarjan(self.modules, self.edges) if len(c) > 1]
        return sorted(components, key=lambda c: (-len(c), c))

    def cycle_path(self, component: Iterable[str]) -> list[str]:
        """A shortest cycle through the component's first module: ``[a, b, ..., a]``."""
        members = set(component)
        start = min(members)
        parents: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(self.edges.get(node, {})):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if nxt not in parents:
                    parents[nxt] = node
                    queue.append(nxt)
        return [start, start]


def resolve(
    importer: str, is_package: bool, level: int, module: str, names: list[str], known: Mapping[str, Any]
) -> list[str]:
    """The known modules an import statement refers to.

    ``importer`` is the importing module's dotted name (``is_package`` for ``__init__``);
    ``level``/``module``/``names`` are the statement's (``from ..a import b`` is level 2,
    module ``a``, names ``["b"]``). ``from p import m`` refers to ``p.m`` when that is a
    module, else to ``p``; otherwise the longest known prefix of the dotted name is used.
    """
    if level:
        package = importer if is_package else importer.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return []
        parts = parts[: len(parts) - (level - 1)]
        base = ".".join([*parts, module] if module else parts)
    else:
        base = module
    targets = []
    for name in names:
        full = f"{base}.{name}" if base else name
        if full in known:
            targets.append(full)
    if len(targets) < len(names) or not names:
        prefix = _longest_known_prefix(base, known)
        if prefix:
            targets.append(prefix)
    return list(dict.fromkeys(targets))


def _longest_known_prefix(dotted: str, known: Mapping[str, Any]) -> str | None:
    parts = dotted.split(".") if dotted else []
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _tarjan(nodes: Iterable[str], edges: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out
