"""The syntax-tree facts (:mod:`empathy_orchestrate.astfacts`) as a per-file tool."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from empathy_orchestrate import __version__, astfacts
from empathy_orchestrate.errors import ToolFailed
from empathy_orchestrate.tools import Completed, PerFileTool

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import SourceFile


@cache
def _source_digest() -> str:
    return hashlib.blake2b(Path(astfacts.__file__).read_bytes(), digest_size=6).hexdigest()


class AstFacts(PerFileTool):
    """Docstrings, function metrics, clone hashes and imports of each file.

    Its version includes a hash of the extractor's source, so editing the extractor
    invalidates cached facts even without a release.
    """

    name = "ast"
    module = "empathy_orchestrate.astfacts"
    dist = "empathy-orchestrate"

    def version(self) -> str:
        return f"{__version__}+{astfacts.FACTS_VERSION}.{_source_digest()}"

    def display_version(self) -> str:
        return __version__

    def command(self, ctx: AnalysisContext, files: Sequence[SourceFile]) -> list[str]:
        return self.argv(*(f.rel for f in files))

    def parse(self, ctx: AnalysisContext, done: Completed, files: Sequence[SourceFile]) -> dict[str, Any]:
        if done.returncode != 0:
            raise ToolFailed(f"AST analysis failed: {done.tail()}")
        try:
            data = json.loads(done.stdout)
        except ValueError as exc:
            raise ToolFailed(f"AST analysis printed no JSON ({exc})") from exc
        missing = [f.rel for f in files if not astfacts.valid_facts(data.get(f.rel))]
        if missing:
            raise ToolFailed(f"AST analysis returned no facts for {missing[0]}")
        return {f.rel: data[f.rel] for f in files}

    def valid(self, result: Any) -> bool:
        return astfacts.valid_facts(result)


AST_FACTS = AstFacts()
