"""Known-bad patterns bandit does not report: leaked credentials and unsafe settings.

Each pattern is matched line by line; a line ending in ``# nosec`` is not reported. The
text of a credential that matched is never copied: findings and the snippets shown to a
model carry ``<redacted>`` in its place (:func:`mask`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from empathy_code_review.findings import Finding

SOURCE = "patterns"


@attrs.frozen
class Pattern:
    rule: str
    severity: str
    regex: re.Pattern[str]
    issue: str
    secret: bool = False


PATTERNS: tuple[Pattern, ...] = (
    Pattern("SEC001", "high", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "AWS access key id", True),
    Pattern(
        "SEC002",
        "high",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
        "private key",
        True,
    ),
    Pattern("SEC003", "high", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "GitHub token", True),
    Pattern("SEC004", "high", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "Slack token", True),
    Pattern("SEC005", "high", re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}"), "API secret key", True),
    Pattern("SEC010", "medium", re.compile(r"^\s*DEBUG\s*=\s*True\b"), "DEBUG = True in a settings module"),
    Pattern(
        "SEC011",
        "medium",
        re.compile(r"ALLOWED_HOSTS\s*=\s*[\[(]\s*['\"]\*['\"]"),
        "ALLOWED_HOSTS accepts any host",
    ),
    Pattern(
        "SEC012",
        "high",
        re.compile(r"['\"]verify_signature['\"]\s*:\s*False"),
        "JWT decoded without verifying its signature",
    ),
    Pattern(
        "SEC013",
        "medium",
        re.compile(r"CORS_(?:ORIGIN_)?ALLOW_ALL(?:_ORIGINS)?\s*=\s*True"),
        "CORS allows every origin",
    ),
)
_SECRETS = tuple(p.regex for p in PATTERNS if p.secret)


def mask(text: str) -> str:
    """``text`` with every credential a pattern recognises replaced by ``<redacted>``."""
    for regex in _SECRETS:
        text = regex.sub("<redacted>", text)
    return text


def scan_text(path: str, text: str, patterns: Iterable[Pattern] = PATTERNS) -> list[Finding]:
    """The pattern findings of one file."""
    found = []
    rules = list(patterns)
    for number, line in enumerate(text.splitlines(), 1):
        if line.rstrip().endswith("# nosec"):
            continue
        for pattern in rules:
            if pattern.regex.search(line):
                issue = f"{pattern.rule}: {pattern.issue}"
                found.append(Finding(path, number, pattern.severity, issue, SOURCE, pattern.rule, "security"))
    return found
