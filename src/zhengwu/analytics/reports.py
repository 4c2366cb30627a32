"""月度报告 — the monthly report PDF (headline figures, charts, rankings). Being built."""

from __future__ import annotations


def generate_due() -> str:
    raise NotImplementedError


def generate_on_demand(month: str, *, requested_by_id: int | None = None) -> str:
    raise NotImplementedError
