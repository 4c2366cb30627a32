"""Uploaded files: images (JPEG, PNG, GIF, WebP) and PDF only, recognised by their content — the
first bytes of the file — never by the name or the content type the browser claims. An
executable renamed "photo.jpg" is refused. Every file of a batch is checked before any is
written, so a refusal leaves nothing behind; callers save the matter and its files in one
transaction. Each kind of matter states its own limits (count, size) once."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zhengwu.core.errors import InvalidInput

ACCEPT = "image/jpeg,image/png,image/gif,image/webp,application/pdf,.jpg,.jpeg,.png,.gif,.webp,.pdf"


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_bytes: int
    field: str = "attachments"
    noun: str = "附件"  # what the messages call a file

    @property
    def size_label(self) -> str:
        return f"{self.max_bytes // (1024 * 1024)}MB"


def sniff(head: bytes) -> str | None:
    """The content type the leading bytes prove, or None for anything we do not accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_name(name: str) -> str:
    """The file's own name without any directory part or control characters, at most 200 chars."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 200:
        stem, ext = os.path.splitext(base)
        base = stem[: 200 - len(ext)] + ext
    return base or "附件"


@dataclass(frozen=True)
class Checked:
    file: Any
    name: str
    content_type: str
    size: int
    sha256: str


def digest(upload: Any) -> tuple[int, str, bytes]:
    """Size, sha256 and the first bytes, read in chunks (uploads may live on disk)."""
    sha = hashlib.sha256()
    size = 0
    head = b""
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    for chunk in chunks:
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        size += len(chunk)
        sha.update(chunk)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return size, sha.hexdigest(), head


def check_files(files: Sequence[Any], limits: Limits, *, already: int = 0) -> list[Checked]:
    """Check a batch; raise InvalidInput (on ``limits.field``) naming the first file at fault."""
    field, size_label, noun = limits.field, limits.size_label, limits.noun
    if already + len(files) > limits.max_files:
        raise InvalidInput(f"最多上传{limits.max_files}个{noun}，本次共{already + len(files)}个", field=field)
    checked = []
    for upload in files:
        name = clean_name(getattr(upload, "name", ""))
        declared = getattr(upload, "size", None)
        if declared is not None and declared > limits.max_bytes:
            raise InvalidInput(f"{noun}「{name}」超过{size_label}，请压缩后再上传", field=field)
        size, sha256, head = digest(upload)
        if size == 0:
            raise InvalidInput(f"{noun}「{name}」是空文件", field=field)
        if size > limits.max_bytes:
            raise InvalidInput(f"{noun}「{name}」超过{size_label}，请压缩后再上传", field=field)
        content_type = sniff(head)
        if content_type is None:
            raise InvalidInput(f"{noun}「{name}」不是图片或PDF文件", field=field)
        checked.append(Checked(upload, name, content_type, size, sha256))
    return checked
