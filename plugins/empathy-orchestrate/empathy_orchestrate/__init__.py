"""Analysis agents, composition patterns, health-check and release-prep for Empathy.

Importing this package is cheap: the heavy parts (rich, subprocess runners) live in
submodules imported on use.
"""

__version__ = "0.1.0"
