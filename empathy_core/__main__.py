"""``python -m empathy_core`` runs the ``empathy`` command."""

from empathy_core.entry import main

main()
