"""The pieces the workflows share: reading JSON replies, checking findings, the numbered context."""

from __future__ import annotations

import pytest

from empathy_code_review.findings import category_of, dedupe, tool_findings, verify_findings
from empathy_code_review.replies import ReplyError, parse_json_reply
from empathy_code_review.sources import SourceFile
from empathy_code_review.workflow import numbered_context, score_of


@pytest.mark.parametrize(
    "reply",
    [
        '{"issues": []}',
        'Here you are:\n```json\n{"issues": []}\n```',
        'Thinking {not json} then {"issues": []} done',
        '{"other": 1} and {"issues": []}',
    ],
)
def test_the_first_object_with_the_keys_is_the_answer(reply: str) -> None:
    assert parse_json_reply(reply, keys=("issues",)) == {"issues": []}


def test_a_reply_without_the_object_is_an_error_quoting_it() -> None:
    with pytest.raises(ReplyError, match=r"holds no JSON object with 'issues': 'I found nothing"):
        parse_json_reply("I found nothing worth reporting.", keys=("issues",))


def test_findings_are_checked_against_the_files() -> None:
    items = [
        {"file": "a.py", "line": "3", "severity": "HIGH", "issue": "x", "category": "security"},
        {"file": "a.py", "line": 0, "severity": "low", "issue": "x"},
        {"file": "a.py", "line": True, "severity": "low", "issue": "x"},
        {"file": "a.py", "line": 2, "severity": "low", "issue": "  "},
        "just text",
    ]
    kept, rejected = verify_findings(items, {"a.py": 3}, "model-x")
    assert [(k.file, k.line, k.severity, k.category, k.source) for k in kept] == [
        ("a.py", 3, "high", "security", "model-x")
    ]
    assert [r.reason for r in rejected] == [
        "line 0 does not exist in a.py (3 lines)",
        "line True is not a line number",
        "no issue text",
        "not an object",
    ]
    assert verify_findings({"issues": []}, {}, "m")[1][0].reason == "expected a list of findings"


def test_tool_rows_become_findings_with_categories() -> None:
    found = tool_findings("ruff", {"a.py": [[4, "low", "F401", "unused"], [1, "high", "F821", "undefined"]]})
    assert [(f.line, f.rule, f.category) for f in found] == [
        (1, "F821", "correctness"),
        (4, "F401", "correctness"),
    ]
    assert category_of("bandit", "B602") == "security" and category_of("ruff", "E501") == "style"
    assert category_of("ruff", "PERF401") == "performance" and category_of("ruff", "S101") == "security"
    assert len(dedupe(found + found)) == 2


def test_the_context_numbers_lines_and_leaves_out_what_does_not_fit() -> None:
    sources = [SourceFile("a.py", "x = 1\ny = 2\n"), SourceFile("b.py", "z = 3\n" * 100)]
    text, left_out = numbered_context(sources, limit=200)
    assert text == "### file: a.py (2 lines)\n    1| x = 1\n    2| y = 2\n"
    assert left_out == ["b.py"]


def test_the_score_falls_with_weighted_findings_per_file() -> None:
    high = tool_findings("ruff", {"a.py": [[1, "high", "F821", "x"]]})
    assert score_of([], 3) == 100
    assert score_of(high, 1) == 50.0
    assert score_of(high, 9) > score_of(high, 1)
