"""Empathy plugin: Redis stores for the coordination roles and short-term memory.

``redis://`` and ``rediss://`` URLs serve the roles ``heartbeats``, ``signals``,
``events``, ``approvals`` and ``memory``; see ``docs/plugins/redis.md``.
"""
