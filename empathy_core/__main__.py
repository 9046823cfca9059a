"""``python -m empathy_core`` runs the ``empathy`` command."""

from empathy_core.cli import main

main()
