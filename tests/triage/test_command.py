"""``manage.py triage``: the JSON last line on good files, a Chinese error and nothing trained on
bad ones."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengwu.triage.models import ModelVersion, TrainingExample

from .conftest import labelled_rows
from .data import EXAMPLES
from .test_hotspots import ALL as HOT_MESSAGES

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, dict]:
    out = StringIO()
    call_command("triage", *args, stdout=out)
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])


@pytest.fixture
def files(write_csv):
    rows = labelled_rows()
    train_rows = [r for i, r in enumerate(rows) if i % 4 != 0]
    test_rows = [r for i, r in enumerate(rows) if i % 4 == 0]
    return write_csv("train.csv", train_rows), write_csv("test.csv", test_rows), write_csv("all.csv", rows)


def test_evaluate_prints_a_table_then_json(files):
    train, test, _ = files
    text, result = run("evaluate", "--train", str(train), "--test", str(test))
    assert "劳动和社会保障" in text and "macro_f1" in text  # the human table comes first
    assert set(result) >= {
        "accuracy",
        "macro_f1",
        "top3_recall",
        "per_label_f1",
        "train_seconds",
        "predictions_per_second",
        "model_mb",
    }
    assert 0 <= result["macro_f1"] <= 1 and result["top3_recall"] >= result["accuracy"]
    assert result["test_size"] == len(EXAMPLES) // 4 and result["model_mb"] > 0
    assert not ModelVersion.objects.exists(), "evaluate stores nothing"


def test_cv_reports_each_fold(files):
    _, _, everything = files
    text, result = run("cv", "--csv", str(everything), "--folds", "3")
    assert result["folds"] == 3 and len(result["per_fold"]) == 3 and result["n"] == len(EXAMPLES)
    assert "前三召回率" in text


def test_train_stores_examples_and_an_active_version(files):
    _, _, everything = files
    _, result = run("train", "--csv", str(everything), "--folds", "3")
    assert result["version"] == 1 and result["active"] and result["added"] == len(EXAMPLES)
    assert TrainingExample.objects.count() == len(EXAMPLES)
    # Training again on the same file adds no duplicate examples; an equal score activates.
    _, again = run("train", "--csv", str(everything), "--folds", "3")
    assert again["added"] == 0 and TrainingExample.objects.count() == len(EXAMPLES)
    assert again["version"] == 2 and again["macro_f1"] == result["macro_f1"] and again["active"]


def test_hotspots_lists_the_issues_with_member_ids(write_csv):
    rows = [
        {
            "id": m.id,
            "user": m.user,
            "title": m.title,
            "time": f"{m.time:%Y/%m/%d %H:%M:%S}",
            "body": m.body,
            "likes": m.likes,
            "dislikes": 0,
        }
        for m in HOT_MESSAGES
    ]
    path = write_csv("hot.csv", rows, columns=("id", "user", "title", "time", "body", "likes", "dislikes"))
    text, result = run("hotspots", "--csv", str(path), "--top", "2")
    assert result["messages"] == len(HOT_MESSAGES) and result["issues_found"] == 3
    assert len(result["issues"]) == 2
    assert result["issues"][0]["member_ids"] == ["s1", "s2", "s3", "s4"]
    assert "#1 留言编号：s1、s2、s3、s4" in text


def bad(*args: str) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("triage", *args, stdout=StringIO())
    return str(exc.value)


def test_bad_files_are_refused_in_chinese_and_nothing_is_trained(write_csv, tmp_path, files):
    train, test, _ = files
    rows = labelled_rows()

    missing = write_csv("missing.csv", rows, columns=("id", "title", "time", "body"))
    assert "缺少列：label" in bad("train", "--csv", str(missing))

    empty_label = write_csv("empty_label.csv", [*rows[:5], {**rows[5], "label": " "}, *rows[6:]])
    assert "第7行分类为空" in bad("train", "--csv", str(empty_label))

    english = write_csv(
        "english.csv", [{**rows[0], "title": "Noise", "body": "Too loud at night"}, *rows[1:]]
    )
    assert "第2行不含中文" in bad("evaluate", "--train", str(english), "--test", str(test))

    unknown = write_csv("unknown.csv", [{**rows[0], "label": "天气预报"}, *rows[1:]])
    assert "测试集含有训练集中没有的分类：天气预报" in bad(
        "evaluate", "--train", str(train), "--test", str(unknown)
    )
    lone = write_csv("lone.csv", [{**rows[0], "label": "卫生计生"}, *rows[1:]])
    assert "少于2条" in bad("train", "--csv", str(lone))  # one example of a category

    # A category the desk cannot route (not one of its 诉求分类, named by no rule) is not learnt.
    weather = write_csv("weather.csv", [{**r, "label": "天气预报"} for r in rows[:2]] + rows[2:])
    assert "派单目录中没有的分类：天气预报" in bad("train", "--csv", str(weather))

    gbk = write_csv("gbk.csv", rows, encoding="gbk")
    message = bad("train", "--csv", str(gbk))
    assert "不是UTF-8编码" in message and "GBK" in message

    (tmp_path / "empty.csv").write_bytes(b"")
    assert "文件为空" in bad("cv", "--csv", str(tmp_path / "empty.csv"))
    header_only = write_csv("header.csv", [])
    assert "没有数据行" in bad("train", "--csv", str(header_only))
    assert "文件不存在" in bad("train", "--csv", str(tmp_path / "nowhere.csv"))

    assert not ModelVersion.objects.exists() and not TrainingExample.objects.exists()


def _department():
    from tests.factories import DepartmentFactory

    return DepartmentFactory()
