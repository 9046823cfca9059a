"""EmpathyOS for Empathy: trust, the five empathy levels, state files, short-term memory and
a shared pattern library with access tiers. The seeds' examples port by changing their
import to::

    from empathy_os import AccessTier, EmpathyOS, PatternLibrary

Names resolve lazily (PEP 562), so the entry-point module stays cheap.
"""

from __future__ import annotations

from empathy_core import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "EmpathyOS": "empathy",
    "EmpathyResponse": "empathy",
    "Interaction": "state",
    "TrustEvent": "state",
    "CollaborationState": "state",
    "StateFileError": "state",
    "STATE_VERSION": "state",
    "AccessTier": "library",
    "Pattern": "library",
    "PatternLibrary": "library",
    "UnknownPatternError": "library",
    "keywords": "library",
    "FeedbackLoop": "feedback",
    "FeedbackReport": "feedback",
    "monitor_feedback_loops": "feedback",
    "EmpathyOSSettings": "settings",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
