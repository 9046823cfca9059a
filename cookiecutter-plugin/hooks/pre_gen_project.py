"""Refuse names that would not make a valid distribution, package or command."""

import re
import sys

PLUGIN = {{ cookiecutter.plugin_name|jsonify }}
PACKAGE = {{ cookiecutter.package_name|jsonify }}
CLASS = {{ cookiecutter.workflow_class|jsonify }}
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
