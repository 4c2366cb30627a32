"""好差评 measures and indicators; registered on import by measures.py."""

from __future__ import annotations
