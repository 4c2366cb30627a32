from __future__ import annotations

from zhengwu.triage.duplicates import DuplicateIndex

EARLIER = [
    (1, "A3区青松苑小区门口的下水道堵塞，污水漫到路面，臭味很大，已经一个星期没人处理。"),
    (2, "A5区枫林路路灯坏了三个月，晚上出行不安全，请尽快维修。"),
    (3, "A2区金桂园小区电梯经常停运，老人上下楼困难，物业不作为。"),
    (4, "请问A市今年养老金什么时候调整，调整标准是多少？"),
    (5, "A6区青松苑小区门口的下水道堵塞，污水漫到路面，臭味很大，已经一个星期没人处理。"),
]


def index(**kwargs) -> DuplicateIndex:
    return DuplicateIndex.build(EARLIER, **kwargs)


def test_finds_the_same_matter_in_the_same_place():
    new = "A3区青松苑小区门口下水道又堵了，污水漫到路面上，臭气熏天，一个星期都没人来处理！"
    found = index().similar(new)
    assert [m.id for m in found] == [1]  # 5 is the same words in another district
    assert found[0].score >= 0.4 and "A3区" in found[0].places


def test_unrelated_text_is_not_a_duplicate():
    assert index().similar("A4区某中学周末组织学生补课并收取补课费，学生负担很重。") == []
    assert index().similar("hello") == []
    assert DuplicateIndex.build([]).similar("A3区青松苑小区下水道堵塞") == []


def test_added_texts_are_found_and_exclusions_respected():
    idx = index()
    text = "A7县星湖小区物业不打扫卫生却照常收取物业费，业主要求更换物业公司。"
    idx.add(6, text)
    assert len(idx) == 6
    assert [m.id for m in idx.similar(text)] == [6]
    assert idx.similar(text, exclude=[6]) == []
