"""``python manage.py triage evaluate|cv|train|retrain|hotspots`` — the classifier and hot-issue
mining from the command line. Each prints a table for people and, as its last line, one JSON
object for scripts. A bad file stops with a Chinese message and a non-zero exit; nothing is
trained on it."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.triage import services
from zhengwu.triage.classifier import WEIGHTINGS, cross_validate, score, train
from zhengwu.triage.datasets import DatasetError, check_trainable, read_labelled, read_messages
from zhengwu.triage.hotspots import find_hot_issues

WEIGHTING_HELP = "特征加权：nb＝按朴素贝叶斯对数比加权（默认，交叉验证选定），plain＝不加权"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "智能研判：评估、交叉验证、训练分类模型，挖掘热点问题"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("evaluate", help="在一个文件上训练，在另一个文件上评估")
        p.add_argument("--train", required=True, help="训练集CSV（UTF-8，列 id,title,time,body,label）")
        p.add_argument("--test", required=True, help="测试集CSV（同样的列）")
        p.add_argument("--weighting", choices=WEIGHTINGS, default="nb", help=WEIGHTING_HELP)
        p = sub.add_parser("cv", help="分层K折交叉验证")
        p.add_argument("--csv", required=True)
        p.add_argument("--folds", type=int, default=5)
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--weighting", choices=WEIGHTINGS, default="nb", help=WEIGHTING_HELP)
        p = sub.add_parser("train", help="导入样本并训练新模型版本（分数不低于当前版本时自动启用）")
        p.add_argument("--csv", required=True)
        p.add_argument("--folds", type=int, default=5)
        p = sub.add_parser("retrain", help="用已存的全部样本训练新模型版本（可定时运行）")
        p.add_argument("--folds", type=int, default=5)
        p = sub.add_parser("hotspots", help="热点问题（未诉先办）")
        p.add_argument("--csv", required=True, help="CSV，列 id,title,time,body，可选 user,likes")
        p.add_argument("--top", type=int, default=10)
        p.add_argument("--since", type=_date, help="起始日期 YYYY-MM-DD")
        p.add_argument("--until", type=_date, help="截止日期 YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (DatasetError, DomainError) as exc:
            raise CommandError(str(exc)) from exc

    # -- output -----------------------------------------------------------------------------------

    def _table(self, headers: list[str], rows: list[list[Any]]) -> None:
        cells = [headers, *[[str(c) for c in r] for r in rows]]
        widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
        for k, r in enumerate(cells):
            self.stdout.write(
                "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
            )
            if k == 0:
                self.stdout.write("  ".join("-" * w for w in widths))

    def _json(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))

    def _scores_table(self, result: dict[str, Any]) -> None:
        self._table(["分类", "F1"], [[k, f"{v:.4f}"] for k, v in result["per_label_f1"].items()])
        self.stdout.write("")
        rows = [[k, v] for k, v in result.items() if k not in ("per_label_f1", "per_fold")]
        self._table(["指标", "值"], rows)

    # -- actions ----------------------------------------------------------------------------------

    def _evaluate(self, options: dict[str, Any]) -> None:
        from threadpoolctl import threadpool_limits

        train_rows = read_labelled(options["train"])
        check_trainable(train_rows, "训练集")
        test_rows = read_labelled(options["test"])
        unseen = sorted({r.label for r in test_rows} - {r.label for r in train_rows})
        if unseen:
            raise CommandError(f"测试集含有训练集中没有的分类：{'、'.join(unseen)}")
        started = time.perf_counter()
        model = train(
            [r.title for r in train_rows],
            [r.body for r in train_rows],
            [r.label for r in train_rows],
            weighting=options["weighting"],
        )
        train_seconds = time.perf_counter() - started
        with threadpool_limits(1):  # "predictions per second on one core"
            started = time.perf_counter()
            proba = model.predict_many([(r.title, r.body) for r in test_rows])
            predict_seconds = time.perf_counter() - started
        scores = score(model.classes, proba, [r.label for r in test_rows])
        result = {
            "accuracy": round(scores.accuracy, 4),
            "macro_f1": round(scores.macro_f1, 4),
            "top3_recall": round(scores.top3_recall, 4),
            "per_label_f1": {k: round(v, 4) for k, v in scores.per_label_f1.items()},
            "weighting": options["weighting"],
            "train_size": len(train_rows),
            "test_size": len(test_rows),
            "train_seconds": round(train_seconds, 3),
            "predictions_per_second": round(len(test_rows) / max(predict_seconds, 1e-9), 1),
            "model_mb": round(model.size_bytes() / 1e6, 3),
        }
        self._scores_table(result)
        self._json(result)

    def _cv(self, options: dict[str, Any]) -> None:
        from threadpoolctl import threadpool_limits

        if options["folds"] < 2:
            raise CommandError("折数至少为2")
        rows = read_labelled(options["csv"])
        check_trainable(rows, "数据集")
        with threadpool_limits(1):
            cv = cross_validate(
                [r.title for r in rows],
                [r.body for r in rows],
                [r.label for r in rows],
                folds=options["folds"],
                seed=options["seed"],
                weighting=options["weighting"],
            )
        result = cv.as_dict()
        result["n"] = len(rows)
        result["weighting"] = options["weighting"]
        self._table(
            ["折", "准确率", "宏F1", "前三召回率"],
            [
                [i + 1, f["accuracy"], f["macro_f1"], f["top3_recall"]]
                for i, f in enumerate(result["per_fold"])
            ],
        )
        self.stdout.write("")
        self._scores_table(result)
        self._json(result)

    def _train(self, options: dict[str, Any]) -> None:
        added, rows = services.import_labelled_file(options["csv"])
        self.stdout.write(f"导入样本 {added} 条（其余 {rows - added} 条已存在）")
        self._report_version(services.train_model_version(folds=options["folds"]), added=added)

    def _retrain(self, options: dict[str, Any]) -> None:
        self._report_version(services.train_model_version(folds=options["folds"]))

    def _report_version(self, version: Any, **extra: Any) -> None:
        self._table(
            ["版本", "样本数", "宏F1", "准确率", "前三召回率", "启用"],
            [
                [
                    f"v{version.number}",
                    version.training_size,
                    version.cv_macro_f1,
                    version.cv_accuracy,
                    version.cv_top3,
                    "是" if version.is_active else "否",
                ]
            ],
        )
        if version.notes:
            self.stdout.write(version.notes)
        self._json(
            {
                "version": version.number,
                "active": version.is_active,
                "training_size": version.training_size,
                "macro_f1": version.cv_macro_f1,
                "accuracy": version.cv_accuracy,
                "top3_recall": version.cv_top3,
                "train_seconds": version.train_seconds,
                "model_mb": round(version.size_bytes / 1e6, 3),
                "notes": version.notes,
                **extra,
            }
        )

    def _hotspots(self, options: dict[str, Any]) -> None:
        if options["top"] < 1:
            raise CommandError("--top 至少为1")
        messages = read_messages(options["csv"])
        started = time.perf_counter()
        issues = find_hot_issues(messages, start=options.get("since"), end=options.get("until"))
        seconds = time.perf_counter() - started
        top = issues[: options["top"]]
        self._table(
            ["排名", "热度", "条数", "人数", "点赞", "时间段", "地点", "描述"],
            [[i.rank, i.heat, i.count, i.people, i.likes, i.period, i.place, i.description] for i in top],
        )
        self.stdout.write("")
        for i in top:
            self.stdout.write(f"#{i.rank} 留言编号：{'、'.join(str(m) for m in i.member_ids)}")
        self._json(
            {
                "messages": len(messages),
                "issues_found": len(issues),
                "seconds": round(seconds, 2),
                "issues": [i.as_dict() for i in top],
            }
        )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)
