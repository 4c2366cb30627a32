"""Drawing notices (文书) as PDFs: 200 notices, the six kinds in turn, through
``zhengwu.applications.pdf.render``; prints the mean and p95 per notice. Run by hand:

    .venv/bin/python bench/notice_pdf.py [--count 200]

No database: the notices are built in memory with the ``data`` that documents.issue freezes
(a 补正 notice lists five materials), so only the drawing is timed. A 送达回证 of a saved notice
also reads its decision notice (one indexed query), not counted here. The first render, which
registers the CID font, is timed apart. Target: < 100 ms a notice. Figures go in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from zhengwu.applications import pdf  # noqa: E402
from zhengwu.applications.models import Notice, NoticeKind  # noqa: E402

TARGET_MS = 100.0

BASE = {
    "department": "示范市市场监督管理局",
    "item": "食品经营许可（新办）",
    "item_code": "11410100MB0000000X400011712700001",
    "applicant": "示范市中原区王小明食品经营部",
    "applicant_kind": "法人",
    "submitted_on": "2026年06月10日",
    "issued_on": "2026年06月10日",
    "accepted_on": "2026年06月10日",
    "limit_days": "10",
    "due_on": "2026年06月24日",
    "consultation_phone": "0371-12345678",
    "issued_by": "窗口甲",
}
EXTRA = {
    NoticeKind.ACCEPTANCE: {},
    NoticeKind.REFUSAL: {
        "reason": "申请事项依法不需要取得行政许可，仅销售预包装食品的，应当向所在地县级市场监督管理部门备案。",
        "remedy": "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。",
    },
    NoticeKind.SUPPLEMENT: {
        "round": 1,
        "items": [
            {"material_id": n, "name": name, "reason": reason}
            for n, (name, reason) in enumerate(
                [
                    (
                        "食品经营许可申请书",
                        "申请书第三页法定代表人未签字，经营项目填写与经营场所平面图不一致",
                    ),
                    ("经营场所平面图", "平面图未标注功能分区及面积，比例尺不清晰"),
                    ("健康证明", "两名从业人员的健康证明已过有效期"),
                    ("食品安全管理制度", "缺少进货查验记录制度和从业人员健康管理制度"),
                    ("设备布局和工艺流程", "未说明生熟分开的操作流程"),
                ],
                1,
            )
        ],
    },
    NoticeKind.APPROVAL: {"opinion": "经审查，经营场所、设备设施和管理制度符合食品安全要求，准予许可。"},
    NoticeKind.DENIAL: {
        "opinion": "经现场核查，经营场所与申请材料所附平面图不符，且距离污染源不足二十五米。"
    },
    NoticeKind.SERVICE: {"recipient": "王小明", "method": "邮寄送达", "tracking_number": "EA123456785CN"},
}
PREFIX = {
    "acceptance": "SL",
    "refusal": "BSL",
    "supplement": "BZ",
    "approval": "ZY",
    "denial": "BXK",
    "service": "SD",
}


def notice(n: int) -> Notice:
    kind = list(NoticeKind)[n % len(NoticeKind)]
    number = f"BJ-20260610-{n:06d}"
    return Notice(
        kind=kind,
        number=f"{PREFIX[kind]}-20260610-{n:06d}",
        issued_at=datetime(2026, 6, 10, 2, 0, tzinfo=UTC),
        data={**BASE, "application_number": number, **EXTRA[kind]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    t0 = time.perf_counter()
    first = pdf.render(notice(0))
    first_ms = (time.perf_counter() - t0) * 1000

    times: dict[str, list[float]] = {k: [] for k in NoticeKind}
    sizes: list[int] = []
    every: list[float] = []
    for n in range(args.count):
        note = notice(n)
        t0 = time.perf_counter()
        data = pdf.render(note)
        ms = (time.perf_counter() - t0) * 1000
        every.append(ms)
        times[note.kind].append(ms)
        sizes.append(len(data))
    assert first.startswith(b"%PDF-")

    p95 = statistics.quantiles(every, n=20)[18]
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"first render (registers the font): {first_ms:.1f} ms")
    print(
        f"{len(every)} notices: mean {statistics.mean(every):.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(every):.1f} ms; mean size {statistics.mean(sizes) / 1024:.1f} KiB"
    )
    for kind, values in times.items():
        if values:
            print(f"  {NoticeKind(kind).label}: mean {statistics.mean(values):.1f} ms ({len(values)})")
    print(f"target < {TARGET_MS:.0f} ms: {'met' if p95 < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
