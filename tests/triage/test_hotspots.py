"""Hot issues on a small invented stream with three planted issues among unrelated appeals, a
repeat by one person and the same complaint from another district."""

from __future__ import annotations

from datetime import date, datetime

from zhengwu.triage.hotspots import Message, find_hot_issues, parse_time


def msg(id, user, when, title, body, likes=0):
    return Message(id=id, title=title, body=body, time=datetime.fromisoformat(when), user=user, likes=likes)


SEWER = [
    msg(
        "s1",
        "U1",
        "2019-06-01 08:00",
        "A3区青松苑小区下水道堵塞",
        "A3区青松苑小区门口下水道堵塞，污水漫到路面，臭味很大。",
        3,
    ),
    msg(
        "s2",
        "U2",
        "2019-06-01 19:30",
        "青松苑小区门口污水横流",
        "A3区青松苑小区下水道堵了好几天，污水横流，臭气熏天，没人处理。",
        5,
    ),
    msg(
        "s3",
        "U3",
        "2019-06-02 09:10",
        "A3区青松苑下水道堵塞无人管",
        "青松苑小区门口的下水道堵塞，污水漫到路面上，居民出行困难。",
    ),
    msg(
        "s4",
        "U4",
        "2019-06-03 12:00",
        "反映A3区青松苑小区下水道问题",
        "青松苑小区门口下水道堵塞一个星期了，污水漫路，请尽快疏通下水道。",
        1,
    ),
]
NOISE_AT_NIGHT = [
    msg(
        "n1",
        "U5",
        "2019-06-10 23:00",
        "A5区枫林路工地夜间施工噪音扰民",
        "枫林路工地每天夜间施工到凌晨，打桩噪音很大，居民无法休息。",
    ),
    msg(
        "n2",
        "U6",
        "2019-06-11 23:30",
        "枫林路工地半夜施工",
        "A5区枫林路的工地半夜还在施工打桩，噪音扰民，请查处夜间施工。",
        2,
    ),
    msg(
        "n3",
        "U7",
        "2019-06-20 22:45",
        "A5区枫林路夜间施工扰民",
        "枫林路工地夜间打桩施工，噪音扰民严重，孩子没法睡觉。",
    ),
]
PENSION = [
    msg(
        "p1",
        "U8",
        "2019-05-02 10:00",
        "咨询A市养老金调整",
        "请问A市今年退休人员养老金什么时候调整，调整标准是多少？",
    ),
    msg(
        "p2",
        "U9",
        "2019-05-20 10:00",
        "A市养老金何时调整",
        "退休人员养老金今年调整了吗？A市养老金调整标准是多少？",
    ),
    msg(
        "p3",
        "U10",
        "2019-06-25 10:00",
        "养老金调整标准咨询",
        "A市退休人员养老金调整什么时候发放，养老金调整标准是多少？",
    ),
]
OTHERS = [
    msg(
        "o1",
        "U11",
        "2019-06-05 10:00",
        "A2区金桂园小区电梯经常故障",
        "金桂园小区电梯一个月停运好几次，物业说没有维修资金。",
    ),
    msg(
        "o2",
        "U12",
        "2019-06-06 10:00",
        "A4区某中学周末补课收费",
        "中学周末组织学生补课并收取补课费，学生负担很重。",
    ),
    msg(
        "o3", "U13", "2019-06-07 10:00", "A市体育馆开放时间", "市体育馆周末不对外开放，希望体育场馆免费开放。"
    ),
    msg(
        "o4",
        "U14",
        "2019-06-08 10:00",
        "A7县农民工工资被拖欠",
        "建筑工地拖欠农民工工资，包工头说开发商没给钱。",
    ),
    # The same sewer complaint in another district: not part of the A3区 issue.
    msg(
        "o5",
        "U15",
        "2019-06-02 10:00",
        "A6区青松苑小区下水道堵塞",
        "A6区青松苑小区门口下水道堵塞，污水漫到路面，臭味很大。",
    ),
    # One person writing twice is a repeat to merge, not a hot issue.
    msg("o6", "U16", "2019-06-09 10:00", "A9县石材厂粉尘污染", "石材厂切割石头粉尘很大，附近菜地全是灰。"),
    msg(
        "o7",
        "U16",
        "2019-06-12 10:00",
        "A9县石材厂粉尘污染",
        "石材厂切割石头粉尘很大，附近菜地全是灰，再次反映。",
    ),
]
ALL = SEWER + NOISE_AT_NIGHT + PENSION + OTHERS


def ids(messages):
    return sorted(m.id for m in messages)


def test_finds_exactly_the_three_planted_issues():
    issues = find_hot_issues(ALL)
    assert sorted(sorted(i.member_ids) for i in issues) == sorted(
        [ids(SEWER), ids(NOISE_AT_NIGHT), ids(PENSION)]
    )
    sewer = next(i for i in issues if "s1" in i.member_ids)
    assert sewer.rank == 1, "four people, likes and all within three days: the hottest"
    assert sewer.count == 4 and sewer.people == 4 and sewer.likes == 9
    assert sewer.place == "A3区 青松苑小区"
    assert "青松苑" in sewer.description
    assert sewer.period == "2019-06-01 至 2019-06-03" and sewer.concentration == 1.0
    assert [i.rank for i in issues] == [1, 2, 3]
    assert issues[0].heat >= issues[1].heat >= issues[2].heat
    pension = next(i for i in issues if "p1" in i.member_ids)
    assert pension.place == "A市" and pension.concentration < 1.0


def test_period_filter_and_top():
    june_first_week = find_hot_issues(ALL, start=date(2019, 6, 1), end=date(2019, 6, 7))
    assert [sorted(i.member_ids) for i in june_first_week] == [ids(SEWER)]
    assert len(find_hot_issues(ALL, top=2)) == 2
    assert find_hot_issues([]) == []


def test_parse_time_accepts_the_export_formats():
    assert parse_time("2019/2/28 11:25:05") == datetime(2019, 2, 28, 11, 25, 5)
    assert parse_time("2017-06-08 17:31:20") == datetime(2017, 6, 8, 17, 31, 20)
    assert parse_time("昨天") is None


def test_a_pasted_petition_is_one_issue_without_a_pair_per_two_copies():
    """3,000 people paste the same message: one issue of 3,000 appeals, found the way any other
    is, and the three planted issues are still found beside it."""
    petition = [
        msg(
            f"pet{i}",
            f"citizen{i}",
            "2019-06-03 12:00",
            "强烈反对A7区垃圾焚烧厂选址",
            "A7区垃圾焚烧厂选址离居民区太近，严重影响周边居民健康，强烈要求重新选址。",
        )
        for i in range(3000)
    ]
    issues = find_hot_issues(ALL + petition)
    assert len(issues) == 4
    assert sorted(issues[0].member_ids) == sorted(ids(petition))
    assert issues[0].people == 3000 and issues[0].rank == 1
    assert sorted(sorted(i.member_ids) for i in issues[1:]) == sorted(
        [ids(SEWER), ids(NOISE_AT_NIGHT), ids(PENSION)]
    )
