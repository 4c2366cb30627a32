"""The partials every matter's pages share: the staff timeline's chain check and the public
办理过程, the same for appeals and applications."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone


def test_the_chain_heading_says_whole_or_names_the_first_break():
    whole = render_to_string("web/_chain_heading.html", {"chain_broken_at": None})
    assert 'class="small chain-ok" id="chain"' in whole and "轨迹校验：完整" in whole
    broken = render_to_string("web/_chain_heading.html", {"chain_broken_at": "第2条：轨迹内容被改动"})
    assert "chain-bad" in broken and "轨迹校验：第2条：轨迹内容被改动" in broken and "完整" not in broken


def test_the_public_timeline_lists_each_step_with_its_time_and_department():
    at = timezone.make_aware(datetime(2026, 6, 10, 9, 5))
    html = render_to_string(
        "web/_public_timeline.html",
        {"timeline": [{"at": at, "text": "已受理", "department": "示范市市场监管局"}]},
    )
    assert "<h2>办理过程</h2>" in html and 'id="timeline"' in html
    assert "2026年06月10日 09:05" in html and "已受理" in html and "示范市市场监管局" in html
    assert render_to_string("web/_public_timeline.html", {"timeline": []}).count("<tr>") == 1
