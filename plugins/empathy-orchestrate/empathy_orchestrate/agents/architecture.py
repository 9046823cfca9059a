"""Architecture: import cycles, layering and boundary violations, from the import graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score, plural
from empathy_orchestrate.analyzers.facts import AST_FACTS
from empathy_orchestrate.importgraph import ImportGraph, resolve
from empathy_orchestrate.records import AgentReport, Finding

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository, SourceFile

HALF_SCORE_PER_KLOC = 3.0


def _layer(module: str, layers: list[str]) -> int | None:
    for position, prefix in enumerate(layers):
        if module == prefix or module.startswith(prefix + "."):
            return position
    return None


def _private_elsewhere(importer: str, target: str) -> bool:
    """``target`` is a private module (``_name``) of another top-level package."""
    if importer.split(".")[0] == target.split(".")[0]:
        return False
    return any(part.startswith("_") and not part.startswith("__") for part in target.split("."))


class ArchitectureAgent(AgentTemplate):
    """Import cycles between the repository's modules, production code importing test code,
    imports of other packages' private modules, and (with ``layers`` configured) a lower
    layer importing a higher one.
    """

    name = "architecture"
    title = "Architecture"
    description = "import graph: cycles, layering (settings 'layers'), test and private-module imports"
    tools = (AST_FACTS,)
    modes = frozenset({"weekly", "release"})

    def applies(self, repo: Repository) -> str | None:
        return None if len(repo.sources()) >= 2 else "fewer than two modules"

    def options(self, ctx: AnalysisContext) -> str:
        return "layers=" + ",".join(ctx.settings.layers)

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        facts = await ctx.per_file(AST_FACTS)
        sources: dict[str, SourceFile] = {}
        for file in ctx.repo.sources():
            sources.setdefault(file.module, file)
        tests = {f.module: f for f in ctx.repo.tests() if f.module not in sources}
        known = {**tests, **sources}
        graph = ImportGraph(modules={m: f.rel for m, f in sources.items()})
        findings: list[Finding] = []
        layers = ctx.settings.layers
        for module, file in sources.items():
            is_package = file.rel.endswith("__init__.py")
            for line, level, name, names, runtime in facts[file.rel]["imports"]:
                for target in resolve(module, is_package, level, name, names, known):
                    findings += self._check(file, module, target, line, tests, layers)
                    if runtime and target in sources:
                        graph.add(module, target, line)
        cycles = graph.cycles()
        for component in cycles:
            path = graph.cycle_path(component)
            first = sources[path[0]]
            line = (
                graph.edges[path[0]][path[1]]
                if len(path) > 1 and path[1] in graph.edges.get(path[0], {})
                else 1
            )
            extra = (
                f" ({len(component)} modules in the cycle group)" if len(component) > len(path) - 1 else ""
            )
            findings.append(
                Finding(
                    first.rel, line, "medium", "import-cycle", "import cycle: " + " -> ".join(path) + extra
                )
            )
        edges = sum(len(targets) for targets in graph.edges.values())
        return self.report(
            score=density_score(findings, ctx.lines_of(list(sources.values())), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=(
                f"{plural(len(sources), 'module')}, {plural(edges, 'import')}, "
                f"{plural(len(cycles), 'cycle')}; {count_summary(findings)}"
            ),
            metrics={"modules": float(len(sources)), "imports": float(edges), "cycles": float(len(cycles))},
        )

    def _check(
        self,
        file: SourceFile,
        module: str,
        target: str,
        line: int,
        tests: dict[str, SourceFile],
        layers: list[str],
    ) -> list[Finding]:
        out = []
        if target in tests:
            out.append(
                Finding(
                    file.rel, line, "medium", "imports-test-code", f"{module} imports test module {target}"
                )
            )
        elif _private_elsewhere(module, target):
            out.append(
                Finding(file.rel, line, "low", "private-import", f"{module} imports private module {target}")
            )
        if layers:
            own, other = _layer(module, layers), _layer(target, layers)
            if own is not None and other is not None and own < other:
                out.append(
                    Finding(
                        file.rel,
                        line,
                        "medium",
                        "layer-violation",
                        f"{module} (layer {layers[own]}) imports {target} (higher layer {layers[other]})",
                    )
                )
        return out
