"""附件 of an appeal: images (JPEG, PNG, GIF, WebP) and PDF only, recognised by their content
(casework/attachments.py, shared with every kind of matter). Every file of a batch is checked
before any is written, so a refusal leaves nothing behind; callers save the appeal and its
attachments in one transaction.

The limits are stated once, here: they are part of what the public form promises, and the same
everywhere (web form, operator intake, API)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.base import File
from django.db import transaction

from zhengwu.casework import attachments as shared
from zhengwu.casework.actors import Actor
from zhengwu.casework.attachments import ACCEPT, Checked, clean_name, sniff
from zhengwu.core.errors import InvalidInput

from .models import Appeal, Attachment

LIMITS = shared.Limits(max_files=3, max_bytes=5 * 1024 * 1024, field="attachments")
MAX_FILES = LIMITS.max_files
MAX_BYTES = LIMITS.max_bytes
MAX_LABEL = LIMITS.size_label
FIELD = LIMITS.field
PURPOSES = ("intake", "reply")

__all__ = ["ACCEPT", "MAX_BYTES", "MAX_FILES", "MAX_LABEL", "Checked", "check_files", "clean_name", "sniff"]


def check_files(files: Sequence[Any], *, already: int = 0) -> list[Checked]:
    """Check a batch against the appeal's limits; raise InvalidInput (field "attachments") naming
    the first file at fault."""
    return shared.check_files(files, LIMITS, already=already)


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
    person = by.person if isinstance(by, Actor) else by
    uploader = person if getattr(person, "is_authenticated", False) else None
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
