from __future__ import annotations

import pytest

from zhengwu.triage.places import extract_places, main_place, places_conflict


@pytest.mark.parametrize(
    ("text", "admin", "named"),
    [
        ("座落在A市A3区联丰路米兰春天G2栋", ("A市", "A3区"), ("联丰路",)),
        ("本人系春华镇金鼎村七里组村民", (), ("春华镇", "金鼎村")),
        ("在杜鹃路和雷峰大道交界处，也就是杜鹃文苑小区外", (), ("杜鹃路", "雷峰大道", "杜鹃文苑小区")),
        ("K8县城关镇第一中学门口交通拥堵", ("K8县",), ("城关镇", "第一中学")),
        ("我们小区的道路坏了", (), ()),
    ],
)
def test_extracts_pseudonymised_units_and_named_places(text, admin, named):
    places = extract_places(text)
    assert places.admin == admin
    assert places.named == named


def test_conflicts_and_main_place():
    a = extract_places("A3区青松苑小区停车难")
    assert places_conflict(a, extract_places("A5区青松苑小区停车难"))  # another district
    assert places_conflict(a, extract_places("A3区金桂园小区停车难"))  # another estate
    assert not places_conflict(a, extract_places("A市青松苑停车难"))  # same estate, written shorter
    assert not places_conflict(a, extract_places("停车太难了"))
    assert main_place([a, a, extract_places("A市停车难")]) == "A3区 青松苑小区"
