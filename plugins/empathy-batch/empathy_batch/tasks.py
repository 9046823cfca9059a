"""The batch-eligible task types: work that can wait up to 24 hours for half the price.

Each :class:`BatchTask` turns a request's ``input_data`` into one prompt. Interactive
work (chat, code review of a pull request someone is waiting on, anything with tool
use) is not eligible: a batch may take up to a day.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class BatchTask:
    """A task type: what it is for, its instruction, and the reply budget."""

    task_type: str
    description: str
    instruction: str
    max_tokens: int = 2048

    def prompt(self, input_data: Mapping[str, Any]) -> str:
        """The instruction followed by the input as indented JSON (keys sorted)."""
        body = json.dumps(input_data, indent=2, sort_keys=True, ensure_ascii=False)
        return f"{self.instruction}\n\nInput (JSON):\n{body}"


_TASKS = (
    ("analyze_logs", "find errors, their causes and fixes in log output",
     "Analyse these logs: list each distinct error or warning, its likely cause and a fix."),
    ("generate_report", "write a report from structured data",
     "Write a concise report of this data: key figures, trends and anything unusual."),
    ("classify_text", "put texts into given categories",
     "Classify the input into one of the given categories; answer with the category and why."),
    ("summarize", "summarise long text",
     "Summarise the input in at most five bullet points."),
    ("generate_docs", "write documentation for code",
     "Write reference documentation (purpose, parameters, returns, errors) for this code."),
    ("generate_docstrings", "write docstrings for functions",
     "Write a concise docstring stating the contract of each function in this code."),
    ("generate_release_notes", "turn commits or changes into release notes",
     "Write user-facing release notes from these changes, grouped as added, changed and fixed."),
    ("generate_changelog", "turn merged changes into a changelog entry",
     "Write a Keep-a-Changelog entry for these changes."),
    ("extract_entities", "pull names, dates, amounts and ids out of text",
     "Extract the people, organisations, dates, amounts and identifiers in the input as JSON."),
    ("sentiment_analysis", "rate the sentiment of feedback",
     "Rate the sentiment of each item as positive, neutral or negative, with one line of reasoning."),
    ("categorize_feedback", "group user feedback by theme",
     "Group this feedback by theme; give each theme a name, a count and a representative quote."),
    ("triage_issues", "label and prioritise bug reports",
     "For each issue give a label (bug, feature, question), a priority (P1-P4) and a reason."),
    ("tag_content", "assign tags to documents",
     "Suggest up to five tags for each document in the input."),
    ("translate", "translate text",
     "Translate the text into the target language given in the input; keep formatting."),
    ("rewrite_text", "rewrite text in a given style",
     "Rewrite the text in the style given in the input, keeping its meaning."),
    ("explain_code", "explain what code does",
     "Explain what this code does, step by step, for a new team member."),
    ("suggest_tests", "list test cases for code",
     "List the test cases this code needs: normal cases, edge cases and failure cases."),
    ("review_dependencies", "review a dependency list for risk",
     "Review these dependencies: unpinned or outdated ones, licences to check, and risks."),
    ("analyze_metrics", "explain metrics and anomalies",
     "Explain these metrics: trends, anomalies and what to investigate first."),
    ("moderate_content", "flag content against a policy",
     "Check each item against the policy in the input; flag violations with the rule broken."),
    ("answer_faq", "draft answers to frequently asked questions",
     "Draft a short, accurate answer to each question using only the context given."),
    ("generate_examples", "write usage examples",
     "Write three short, runnable usage examples for the API described in the input."),
)

BATCH_ELIGIBLE_TASKS: Mapping[str, BatchTask] = {
    name: BatchTask(name, description, instruction) for name, description, instruction in _TASKS
}
"""Every task type :class:`~empathy_batch.BatchProcessingWorkflow` accepts, by name."""
