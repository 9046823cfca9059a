"""The default EmpathyOS level handlers, registered as ``default`` for levels 1 to 5.

Each asks the configured LLM provider through ``await os.complete(...)`` and adds what it
can work out without the model (ambiguity, patterns, memory, risks, loops), so every level
does something visible offline with the ``mock`` provider too.
"""

__version__ = "0.1.0"
