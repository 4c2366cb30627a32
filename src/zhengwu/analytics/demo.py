"""The demo city's figures: once every part has loaded its records, roll them up, so the
dashboards show figures at once instead of after the first scheduled roll-up."""

from __future__ import annotations

from . import figures, rollup


def load_demo_figures() -> str:
    figures.clear_caches()  # the demo's regions and departments were just created
    return rollup.rebuild()
