"""Reading labelled and hot-issue CSV files for the ``triage`` command, refusing bad files as a
whole with a Chinese message: nothing is trained on a file that is half garbage."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .classifier import MIN_PER_CATEGORY
from .hotspots import Message, parse_time
from .text import MAX_TEXT_CHARS, has_chinese

LABELLED_COLUMNS = ("id", "title", "time", "body", "label")
MESSAGE_COLUMNS = ("id", "title", "time", "body")
MAX_LABEL_CHARS = 50
_SHOWN = 5  # problems listed before "…等N处"


class DatasetError(ValueError):
    """The file cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class LabelledRow:
    id: str
    title: str
    body: str
    label: str


def read_rows(path: str | Path, required: tuple[str, ...], *, name: str = "") -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV (a BOM is allowed) having at least the ``required`` columns. ``name``:
    the file's name in messages (an upload's own name rather than its temporary file's)."""
    path = Path(path)
    name = name or path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetError(f"文件不存在：{path}") from exc
    except OSError as exc:
        raise DatasetError(f"无法读取文件：{path}（{exc.strerror}）") from exc
    if not raw.strip():
        raise DatasetError(f"文件为空：{name}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "，看起来是GBK/GB18030编码"
        except UnicodeDecodeError:
            pass
        raise DatasetError(
            f"文件不是UTF-8编码{hint}（第{exc.start + 1}个字节无法解码）：{name}。请用UTF-8另存后重试"
        ) from exc
    csv.field_size_limit(4 * MAX_TEXT_CHARS * 10)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise DatasetError(
            f"缺少列：{'、'.join(missing)}（需要的列：{','.join(required)}；文件中的列：{','.join(header)}）"
        )
    try:
        rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise DatasetError(f"CSV格式错误（第{reader.line_num}行）：{exc}") from exc
    if not rows:
        raise DatasetError(f"文件没有数据行：{name}")
    return rows


def _problems(found: list[str]) -> str:
    shown = "；".join(found[:_SHOWN])
    return shown + (f"……共{len(found)}处" if len(found) > _SHOWN else "")


def read_labelled(path: str | Path, *, name: str = "") -> list[LabelledRow]:
    """Labelled appeals (id,title,time,body,label). Every row must have a label and Chinese text
    of a sane length; a single bad row refuses the file, naming the rows at fault."""
    name = name or Path(path).name
    rows = read_rows(path, LABELLED_COLUMNS, name=name)
    found: list[str] = []
    out: list[LabelledRow] = []
    for line, row in enumerate(rows, start=2):
        title, body, label = row["title"].strip(), row["body"].strip(), row["label"].strip()
        if not label:
            found.append(f"第{line}行分类为空")
        elif len(label) > MAX_LABEL_CHARS:
            found.append(f"第{line}行分类过长（超过{MAX_LABEL_CHARS}字），可能不是分类名称")
        if not title and not body:
            found.append(f"第{line}行标题和内容都为空")
        elif not has_chinese(title + body):
            found.append(f"第{line}行不含中文")
        elif max(len(title), len(body)) > MAX_TEXT_CHARS:
            found.append(f"第{line}行内容超过{MAX_TEXT_CHARS}字")
        out.append(LabelledRow(row["id"].strip(), title, body, label))
    if found:
        raise DatasetError(f"{name} 有不能使用的行：{_problems(found)}")
    return out


def check_trainable(
    rows: list[LabelledRow],
    name: str,
    *,
    known: set[str] | None = None,
    stored: Counter[str] | None = None,
) -> None:
    """At least two categories, each with enough examples — counting the ``stored`` examples the
    rows join, if any — and, when the admin has configured categories, none outside them."""
    counts = Counter(r.label for r in rows)
    if known:
        unknown = sorted(set(counts) - known)
        if unknown:
            # Each unknown name with the rows (by their id column) that use it, the first few.
            where = []
            for label in unknown:
                ids = [r.id for r in rows if r.label == label]
                shown = "、".join(ids[:5]) + (f"等{len(ids)}行" if len(ids) > 5 else "")
                where.append(f"{label}（id为{shown}的行）")
            raise DatasetError(
                f"{name} 含有派单目录中没有的分类：{'、'.join(where)}。已有分类：{'、'.join(sorted(known))}"
            )
    counts += stored or Counter()
    if len(counts) < 2:
        raise DatasetError(f"{name} 只有一个分类（{next(iter(counts))}），至少需要两个")
    rare = sorted(f"{label}（{n}条）" for label, n in counts.items() if n < MIN_PER_CATEGORY)
    if rare:
        raise DatasetError(f"{name} 中以下分类样本少于{MIN_PER_CATEGORY}条，无法训练：{'、'.join(rare)}")


def read_messages(path: str | Path) -> list[Message]:
    """Appeals for hot-issue mining: id,title,time,body and, when present, user and likes."""
    rows = read_rows(path, MESSAGE_COLUMNS)
    found: list[str] = []
    out: list[Message] = []
    for line, row in enumerate(rows, start=2):
        likes_raw = (row.get("likes") or "0").strip() or "0"
        if not likes_raw.lstrip("-").isdigit():
            found.append(f"第{line}行点赞数不是整数：{likes_raw[:20]}")
            continue
        if not (row["title"].strip() or row["body"].strip()):
            found.append(f"第{line}行标题和内容都为空")
            continue
        out.append(
            Message(
                id=row["id"].strip(),
                title=row["title"].strip()[:MAX_TEXT_CHARS],
                body=row["body"].strip()[:MAX_TEXT_CHARS],
                time=parse_time(row["time"]),
                user=(row.get("user") or "").strip() or None,
                likes=int(likes_raw),
            )
        )
    if found:
        raise DatasetError(f"{Path(path).name} 有不能使用的行：{_problems(found)}")
    return out
