"""Refuse names that would not make a valid distribution, package or command.

Valid Python before and after rendering, so that linters and type checkers can read it.
"""

import re
import sys

PLUGIN = r"""{{ cookiecutter.plugin_name }}"""
PACKAGE = r"""{{ cookiecutter.package_name }}"""
CLASS = r"""{{ cookiecutter.workflow_class }}"""
RESERVED = {"config", "init", "plugins", "workflow"}

problems = []
if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", PLUGIN):
    problems.append(f"plugin_name {PLUGIN!r}: use lowercase letters, digits and single hyphens, e.g. 'summarize'")
if PLUGIN in RESERVED:
    problems.append(f"plugin_name {PLUGIN!r} is a core command of empathy; choose another name")
for label, value in (("package_name", PACKAGE), ("workflow_class", CLASS)):
    if not value.isidentifier():
        problems.append(f"{label} {value!r} is not a valid Python identifier")
if problems:
    for problem in problems:
        print(f"Error: {problem}", file=sys.stderr)
    sys.exit(1)
