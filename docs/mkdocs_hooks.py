"""mkdocs hooks: list every plugin page without editing the navigation by hand.

Each plugin documents itself in ``docs/plugins/<thing>.md``. ``on_config`` adds every such
page to the "Plugins" section of the navigation; ``on_page_markdown`` replaces the
``<!-- plugin pages -->`` marker of ``docs/plugins/index.md`` with a linked list of them
(title and first sentence of each).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARKER = "<!-- plugin pages -->"
SECTION = "Plugins"


def plugin_pages(docs_dir: str) -> list[Path]:
    """``docs/plugins/*.md`` except the index, sorted by file name."""
    return sorted(p for p in (Path(docs_dir) / "plugins").glob("*.md") if p.name != "index.md")


def _title_and_summary(page: Path) -> tuple[str, str]:
    """The page's first heading and the first sentence of its first prose paragraph."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), page.stem)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text)]
    prose = [p for p in paragraphs if p and not p.startswith(("#", "|", "<", "- ", "* "))]
    summary = " ".join(prose[0].split()) if prose else ""
    return title, re.split(r"(?<=\.)\s", summary, maxsplit=1)[0]


def on_config(config: Any) -> Any:
    """Append every plugin page missing from the "Plugins" navigation section."""
    for entry in config["nav"] or []:
        if isinstance(entry, dict) and SECTION in entry:
            listed = {item if isinstance(item, str) else next(iter(item.values())) for item in entry[SECTION]}
            for page in plugin_pages(config["docs_dir"]):
                relative = f"plugins/{page.name}"
                if relative not in listed:
                    entry[SECTION].append(relative)
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the plugin index marker with one line per plugin page."""
    if MARKER not in markdown:
        return markdown
    lines = []
    for path in plugin_pages(config["docs_dir"]):
        title, summary = _title_and_summary(path)
        lines.append(f"- [{title}]({path.name}){': ' + summary if summary else ''}")
    return markdown.replace(MARKER, "\n".join(lines))
