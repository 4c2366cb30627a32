"""附件: images (JPEG, PNG, GIF, WebP) and PDF only, recognised by their content — the first bytes
of the file — never by the name or the content type the browser claims. An executable renamed
"photo.jpg" is refused. Every file of a batch is checked before any is written, so a refusal
leaves nothing behind; callers save the appeal and its attachments in one transaction.

The limits are module constants on purpose: they are part of what the public form promises, and
the same everywhere (web form, operator intake, API)."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import File
from django.db import transaction

from zhengwu.core.errors import InvalidInput

from .models import Appeal, Attachment

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_LABEL = "5MB"
FIELD = "attachments"
PURPOSES = ("intake", "reply")
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,application/pdf,.jpg,.jpeg,.png,.gif,.webp,.pdf"


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


def _digest(upload: Any) -> tuple[int, str, bytes]:
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


def check_files(files: Sequence[Any], *, already: int = 0) -> list[Checked]:
    """Check a batch; raise InvalidInput (field "attachments") naming the first file at fault."""
    if already + len(files) > MAX_FILES:
        raise InvalidInput(f"最多上传{MAX_FILES}个附件，本次共{already + len(files)}个", field=FIELD)
    checked = []
    for upload in files:
        name = clean_name(getattr(upload, "name", ""))
        declared = getattr(upload, "size", None)
        if declared is not None and declared > MAX_BYTES:
            raise InvalidInput(f"附件「{name}」超过{MAX_LABEL}，请压缩后再上传", field=FIELD)
        size, sha256, head = _digest(upload)
        if size == 0:
            raise InvalidInput(f"附件「{name}」是空文件", field=FIELD)
        if size > MAX_BYTES:
            raise InvalidInput(f"附件「{name}」超过{MAX_LABEL}，请压缩后再上传", field=FIELD)
        content_type = sniff(head)
        if content_type is None:
            raise InvalidInput(f"附件「{name}」不是图片或PDF文件", field=FIELD)
        checked.append(Checked(upload, name, content_type, size, sha256))
    return checked


@transaction.atomic
def save_attachments(*, appeal: Appeal, files: Iterable[Any], purpose: str, by: Any) -> list[Attachment]:
    """Store a batch of attachments for ``appeal``: all of them, or — on the first refusal —
    none. Call inside the transaction that created or changed the appeal."""
    files = [f for f in files if f]
    if not files:
        return []
    if purpose not in PURPOSES:
        raise InvalidInput("附件用途不正确", field="purpose")
    already = Attachment.objects.filter(appeal=appeal, purpose=purpose).count()
    checked = check_files(files, already=already)
    uploader = by if getattr(by, "is_authenticated", False) else None
    saved: list[Attachment] = []
    try:
        for c in checked:
            attachment = Attachment(
                appeal=appeal,
                name=c.name,
                content_type=c.content_type,
                size=c.size,
                sha256=c.sha256,
                purpose=purpose,
                uploaded_by=uploader,
            )
            _write(attachment, c)
            saved.append(attachment)
            attachment.save()
    except BaseException:
        # The rows roll back with the transaction; the files on disk must go by hand.
        for attachment in saved:
            attachment.file.delete(save=False)
        raise
    return saved


def _write(attachment: Attachment, checked: Checked) -> None:
    """Write one file. Storage does not remove what it wrote when writing fails half-way (a full
    disk, a storage error): the name is chosen here, so the partial file can be removed here."""
    field = attachment.file.field
    storage = attachment.file.storage
    name = storage.get_available_name(
        field.generate_filename(attachment, checked.name), max_length=field.max_length
    )
    try:
        attachment.file.name = storage.save(
            name, File(checked.file, name=checked.name), max_length=field.max_length
        )
    except BaseException:
        if storage.exists(name):
            storage.delete(name)
        raise


def delete_files_on_rollback(attachments: Sequence[Attachment]) -> None:
    """For callers whose transaction may still fail after the files were written: remove them."""
    for attachment in attachments:
        attachment.file.delete(save=False)
