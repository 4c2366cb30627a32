"""The demo city's figures: once every part has loaded its records, roll them up, so the
dashboards show figures at once instead of after the first scheduled roll-up, and make last
month's report, as the first working day of this month would have."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import figures, reports, rollup
from .periods import period_containing


def load_demo_figures() -> str:
    figures.clear_caches()  # the demo's regions and departments were just created
    done = rollup.rebuild()
    last_month = period_containing("month", timezone.localdate().replace(day=1) - timedelta(days=1))
    first = figures.data_start()
    if first is not None and first < last_month.end:
        reports.generate(last_month)
        done += f"；已生成{last_month.label}统计报告"
    return done
