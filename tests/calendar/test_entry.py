"""Reading the lines an administrator types from the notice."""

from __future__ import annotations

from datetime import date

from zhengwu.calendar.entry import (
    DayEntry,
    check_entries,
    format_holidays,
    format_makeup_days,
    parse_holidays,
    parse_makeup_days,
    weekend_only_warnings,
)


def test_ranges_and_single_days():
    entries, errors = parse_holidays(
        "元旦 2027-01-01\n\n# 春节\n国庆节 2027-10-01 2027-10-07\n中秋节 2027/9/15 至 2027年9月17日"
    )
    assert errors == []
    assert entries[0] == DayEntry(date(2027, 1, 1), "元旦", 1)
    assert [e.day.day for e in entries if e.name == "国庆节"] == [1, 2, 3, 4, 5, 6, 7]
    assert {e.line for e in entries if e.name == "国庆节"} == {4}
    assert [e.day for e in entries if e.name == "中秋节"] == [
        date(2027, 9, 15),
        date(2027, 9, 16),
        date(2027, 9, 17),
    ]


def test_range_written_without_spaces():
    entries, errors = parse_holidays("劳动节 2027-05-01至2027-05-05")
    assert errors == [] and len(entries) == 5


def test_line_numbered_errors():
    text = "元旦 2027-01-01\n国庆节 2027-10-07 2027-10-01\n2027-05-01\n春节 2027-02-30\n清明节 2027年4月5日至7日\n端午 2027-01-01 2027-03-01"
    entries, errors = parse_holidays(text)
    assert errors == [
        "第2行：结束日期 2027-10-01 早于开始日期 2027-10-07",
        "第3行：缺少节日名称，应写成“国庆节 2027-10-01 2027-10-07”",
        "第4行：日期“2027-02-30”无效，应写成 YYYY-MM-DD，如 2027-10-01",
        "第5行：日期“7日”无效，应写成 YYYY-MM-DD，如 2027-10-01",
        "第6行：假期从 2027-01-01 到 2027-03-01 超过31天，请核对日期",
    ]
    assert [e.line for e in entries] == [1]


def test_makeup_lines():
    entries, errors = parse_makeup_days("2027-09-26 国庆节\n2027-10-09\n2027-02-06 2027-02-07 春节")
    assert entries == [DayEntry(date(2027, 9, 26), "国庆节", 1), DayEntry(date(2027, 10, 9), "调休上班", 2)]
    assert errors == ["第3行：每行写一个调休上班日期，实际有2个，应写成“2027-09-26 国庆节”"]


def test_rules():
    holidays = [
        DayEntry(date(2027, 10, 1), "国庆节", 1),
        DayEntry(date(2027, 10, 1), "国庆节", 2),
        DayEntry(date(2026, 12, 31), "元旦", 3),
    ]
    makeup = [
        DayEntry(date(2027, 9, 27), "国庆节", 1),
        DayEntry(date(2027, 10, 1), "国庆节", 2),
        DayEntry(date(2028, 1, 1), "元旦", 3),
    ]
    assert check_entries(2027, holidays, makeup) == {
        "holidays": ["第2行：2027-10-01 重复录入（见第1行）", "第3行：2026-12-31 不在2027年内"],
        "makeup_days": [
            "第1行：2027-09-27 是星期一，调休上班日应为周六或周日",
            "第2行：2027-10-01 已录为节假日（见节假日第1行），不能同时是调休上班日",
            "第3行：2028-01-01 不在2027年内",
        ],
    }
    assert check_entries(2027, [], []) == {
        "holidays": ["请至少录入一个节假日（2027年国务院通知中的放假安排）"]
    }


def test_weekend_only_warning():
    entries, _ = parse_holidays("中秋节 2027-09-18 2027-09-19\n国庆节 2027-10-01 2027-10-07")
    assert weekend_only_warnings(entries) == [
        "中秋节（2027-09-18 至 2027-09-19）全部在周末，不影响工作日计算，请核对"
    ]


def test_format_round_trip():
    text = "元旦 2027-01-01\n春节 2027-02-06 2027-02-13\n国庆节 2027-10-01 2027-10-07"
    entries, _ = parse_holidays(text)
    assert format_holidays(entries) == text
    makeup, _ = parse_makeup_days("2027-09-26 国庆节\n2027-02-14 春节")
    assert format_makeup_days(makeup) == "2027-02-14 春节\n2027-09-26 国庆节"
