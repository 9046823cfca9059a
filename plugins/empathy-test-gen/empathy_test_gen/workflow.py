"""``test-gen``: pytest tests for the untested public functions of one file, kept only if they pass.

- ``analyze`` (no LLM): the file's public functions (AST) and the repository's own tests
  run under coverage: a function none of its statements ran is untested (with no tests,
  every one is). That run is ``coverage_before``.
- ``generate`` (CAPABLE): the numbered source is the cached context; the model answers
  in JSON with one test function per case. Code that is not exactly one ``test_*``
  function, or an import line that is not an import, is dropped with the reason.
- ``verify`` (no LLM): the candidates run in a subprocess from a temporary directory
  (never inside the repository); only those that pass are kept. The kept file then runs
  with the repository's tests: that run is ``coverage_after``.

Nothing is written into the repository unless the input says ``"write": true``: then the
kept tests go to ``tests/test_<module>.py`` (``tests/test_<module>_generated.py`` when
that exists; when both exist the input is refused before anything runs).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from empathy_code_review.analysis import Repository, layout
from empathy_code_review.sources import SourceFile
from empathy_code_review.staged import AnalyserWorkflow, InputError, usage_tokens
from empathy_code_review.workflow import numbered_context
from empathy_core import (
    ModelTier,
    PathError,
    read_text_bounded,
    resolve_within,
    shorten,
    write_atomically,
)
from empathy_test_gen.runner import run_tests
from empathy_test_gen.tests_code import (
    GeneratedTest,
    check_import,
    check_test,
    public_functions,
    render_test_file,
)

MAX_SOURCE_BYTES = 200_000
GENERATE = (
    "You write pytest tests. The module above (with line numbers) is importable as shown. "
    "Write small, deterministic tests of the public behaviour of the functions you are asked "
    "about: no network, no files outside tmp_path, no sleeping. Each test is one function "
    "named test_<something>, complete and self-contained; the functions under test are "
    "already imported by name."
)
GENERATE_SHAPE = (
    '{"imports": ["<an extra import line, if a test needs one>"], '
    '"tests": [{"function": "<function under test>", "name": "test_<...>", '
    '"code": "def test_<...>():\\n    ..."}]}'
)


class TestGenInputError(InputError):
    """The test-gen input is wrong (exit code 2)."""

    __test__ = False  # not a test class, whatever pytest thinks of the name


@attrs.frozen
class Target:
    """A checked input: the repository, the source file, what to test, where the tests go."""

    root: str
    repo: Repository
    source: SourceFile
    source_path: str
    module: str
    pythonpath: list[str]
    functions: list[str] | None
    write: bool
    test_file: str


def check_input(data: Mapping[str, Any]) -> Target:
    """``source_file`` (a ``.py`` file under ``path``, default ``.``, not a test), ``functions``
    (optional public function names in it), ``framework`` (``pytest``), ``write`` (boolean)."""
    root = data.get("path", ".")
    if not isinstance(root, str) or not root:
        raise TestGenInputError(f"path must be a directory path, got {shorten(root)}")
    name = data.get("source_file")
    if not isinstance(name, str) or not name.endswith(".py"):
        raise TestGenInputError(f"source_file must name a .py file under path, got {shorten(name)}")
    if data.get("framework", "pytest") != "pytest":
        framework = shorten(data["framework"])
        raise TestGenInputError(f"framework must be 'pytest' (the only one supported), got {framework}")
    write = data.get("write", False)
    if not isinstance(write, bool):
        raise TestGenInputError(f"write must be true or false, got {shorten(write)}")
    repo = layout(root)
    try:
        path = resolve_within(root, name, what="source_file", within="path")
        if not path.exists():
            raise TestGenInputError(f"source_file {name!r} does not exist under {root!r}")
        text = read_text_bounded(path, limit=MAX_SOURCE_BYTES, what="source_file")
    except PathError as exc:
        raise TestGenInputError(exc.message) from None
    rel = path.relative_to(repo.root).as_posix()
    laid = next((f for f in repo.files if f.rel == rel), None)
    if laid is None or laid.kind != "source":
        raise TestGenInputError(f"source_file {name!r} is a test file or not analysed (skipped directory)")
    try:
        names = {f.name for f in public_functions(text)}
    except SyntaxError as exc:
        problem = f"{exc.msg} (line {exc.lineno})"
        raise TestGenInputError(f"source_file {name!r} is not valid Python: {problem}") from None
    functions = data.get("functions")
    if functions is not None:
        if not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
            raise TestGenInputError(f"functions must be a list of function names, got {shorten(functions)}")
        unknown = [f for f in functions if f not in names]
        if unknown:
            raise TestGenInputError(
                f"{name} has no public function {unknown[0]!r} (it has: {', '.join(sorted(names)) or 'none'})"
            )
    return Target(
        root=str(repo.root),
        repo=repo,
        source=SourceFile(rel, text),
        source_path=str(path),
        module=laid.module,
        pythonpath=repo.import_roots([laid]),
        functions=functions,
        write=write,
        test_file=_destination(repo.root, laid.module.rsplit(".", 1)[-1], write),
    )


def _destination(root: Path, stem: str, write: bool) -> str:
    for candidate in (f"tests/test_{stem}.py", f"tests/test_{stem}_generated.py"):
        if not (root / candidate).exists():
            return candidate
    if write:
        both = f"tests/test_{stem}.py and tests/test_{stem}_generated.py"
        raise TestGenInputError(f"{both} exist: not overwriting either")
    return f"tests/test_{stem}_generated.py"


class TestGenerationWorkflow(AnalyserWorkflow):
    """Generate pytest tests for untested public functions; keep those that pass."""

    __test__ = False

    name = "test-gen"
    description = "pytest tests for untested public functions, run in a subprocess, kept only when they pass."
    stages = ["analyze", "generate", "verify"]
    tier_map = {"analyze": ModelTier.CHEAP, "generate": ModelTier.CAPABLE, "verify": ModelTier.CHEAP}
    input_error = TestGenInputError

    def prepare(self, data: Mapping[str, Any]) -> Target:
        return check_input(data)

    @property
    def target(self) -> Target:
        prepared: Target = self.prepared
        return prepared

    def existing_tests(self) -> list[str]:
        """The repository's test modules (``conftest.py`` files are found by pytest itself)."""
        return [f.path for f in self.target.repo.tests() if Path(f.rel).name != "conftest.py"]

    async def _run(self, tests: list[str], work: str) -> Any:
        target = self.target
        return await run_tests(
            target.root, target.source_path, tests, Path(work), pythonpath=target.pythonpath
        )

    async def stage_analyze(self, tier: ModelTier, data: dict[str, Any]) -> dict[str, Any]:
        target = self.target
        functions = public_functions(target.source.text)
        existing = self.existing_tests()
        with tempfile.TemporaryDirectory(prefix="empathy-test-gen-") as work:
            before = await self._run(existing, work)
        wanted = target.functions if target.functions is not None else [f.name for f in functions]
        untested = [
            f.name for f in functions if f.name in wanted and before.functions.get(f.name, (1, 0))[1] == 0
        ]
        return {
            "functions": [attrs.asdict(f) for f in functions],
            "untested": untested,
            "coverage_before": before.coverage,
            "existing_tests": len(before.outcomes),
        }

    async def stage_generate(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        untested = data["untested"]
        if not untested:
            self.skip("every public function is already tested")
        self.require_llm()
        target = self.target
        text, _ = numbered_context([target.source])
        signatures = {f.name: f.signature for f in public_functions(target.source.text)}
        asked = await self.ask_json(
            "generate",
            tier,
            GENERATE,
            "Write tests for:\n" + "\n".join(f"- {signatures[name]}" for name in untested),
            shape=GENERATE_SHAPE,
            keys=("tests",),
            cached_context=f"### import: from {target.module} import <name>\n{text}",
            max_tokens=8192,
        )
        value = asked.value or {"tests": []}
        candidates, dropped = [], []
        names: set[str] = set()
        for entry in value["tests"] if isinstance(value["tests"], list) else []:
            if not isinstance(entry, dict):
                continue
            name, code = str(entry.get("name", "")), entry.get("code")
            function = str(entry.get("function", ""))
            problem = check_test(name, code) if isinstance(code, str) else "no code"
            if problem is None and name in names:
                problem = f"a second test named {name!r}"
            if problem is None and function not in signatures:
                problem = f"function {function!r} is not a public function of {target.source.path}"
            if problem is not None:
                dropped.append({"name": name, "function": function, "reason": problem})
                continue
            names.add(name)
            candidates.append({"name": name, "function": function, "code": code})
        imports, bad_imports = [], []
        raw_imports = value.get("imports", [])
        for line in raw_imports if isinstance(raw_imports, list) else []:
            problem = check_import(line) if isinstance(line, str) else "not a string"
            if problem is None:
                imports.append(line)
            else:
                bad_imports.append({"import": line, "reason": problem})
        output = {
            "candidates": candidates,
            "imports": imports,
            "dropped": dropped,
            "dropped_imports": bad_imports,
            "by": asked.model,
        }
        return (output, *usage_tokens(asked))

    async def stage_verify(self, tier: ModelTier, data: dict[str, Any]) -> Any:
        if not data.get("candidates"):
            self.skip("no test was generated")
        target = self.target
        candidates = [GeneratedTest(c["name"], c["function"], c["code"]) for c in data["candidates"]]
        functions = sorted({c.function for c in candidates})
        dropped = list(data.get("dropped", []))
        existing = self.existing_tests()
        with tempfile.TemporaryDirectory(prefix="empathy-test-gen-") as work:
            gen_dir = Path(work) / "generated"
            gen_dir.mkdir()
            trial = gen_dir / Path(target.test_file).name
            trial.write_text(render_test_file(target.module, functions, data["imports"], candidates))
            outcomes = (await self._run([str(trial)], f"{work}/trial")).in_file(str(trial))
            kept = [c for c in candidates if outcomes.get(c.name) and outcomes[c.name].status == "passed"]
            for c in candidates:
                if c not in kept:
                    outcome = outcomes.get(c.name)
                    reason = f"{outcome.status}: {outcome.message}" if outcome else "not collected by pytest"
                    dropped.append({"name": c.name, "function": c.function, "reason": reason})
            code = render_test_file(target.module, functions, data["imports"], kept) if kept else ""
            after = None
            if kept:
                trial.write_text(code)
                after = await self._run([*existing, str(trial)], f"{work}/after")
        written = False
        if target.write and kept:
            destination = Path(target.root) / target.test_file
            write_atomically(destination, lambda handle: handle.write(code), make_parents=True)
            written = True
        return {
            "kept": [{"name": c.name, "function": c.function} for c in kept],
            "dropped_tests": dropped,
            "test_code": code,
            "coverage_after": after.coverage if after is not None else data["coverage_before"],
            "written": written,
        }

    def report(self, merged: dict[str, Any]) -> dict[str, Any]:
        target = self.target
        kept = merged.get("kept", [])
        return {
            "source_file": target.source.path,
            "test_file": target.test_file,
            "written": merged.get("written", False),
            "functions": [f["name"] for f in merged["functions"]],
            "untested": merged["untested"],
            "tests_generated": len(merged.get("candidates", [])) + len(merged.get("dropped", [])),
            "tests_kept": len(kept),
            "kept": kept,
            "dropped": merged.get("dropped_tests", merged.get("dropped", [])),
            "dropped_imports": merged.get("dropped_imports", []),
            "coverage_before": merged["coverage_before"],
            "coverage_after": merged.get("coverage_after", merged["coverage_before"]),
            "test_code": merged.get("test_code", ""),
            "generated_by": merged.get("by"),
        }
