"""The analysers behind the built-in agents, each a :class:`~empathy_orchestrate.tools.Tool`."""
