"""A failed save leaves no file behind: not when the disk fills half-way through writing one, and
not when the database refuses the row after the file was written. The person sees the
maintenance page, not a bare 500."""

from __future__ import annotations

import errno
import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse

from zhengwu.appeals.models import Appeal, Attachment
from zhengwu.appeals.public_services import file_web_appeal

from .test_attachments import PDF, stored_files, tiny_png, upload


class FullDisk(FileSystemStorage):
    """Writes the first bytes of a file, then the disk is full — what the real storage leaves
    behind on ENOSPC (it never removes a half-written file)."""

    def _save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as partial:
            partial.write(content.read(10))
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def full_disk(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FullDisk"}}


def web_form(**files):
    return {
        "appeal_type": "complaint",
        "title": "路灯不亮",
        "body": "幸福路路灯不亮。",
        "contact_phone": "13912345678",
        **files,
    }


def test_a_disk_full_half_way_through_a_file_leaves_nothing(db, media, full_disk):
    with pytest.raises(OSError):
        file_web_appeal(
            appeal_type="complaint",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13912345678",
            files=[upload("照片.png", tiny_png(), "image/png")],
        )
    assert stored_files(media) == []
    assert not Appeal.objects.exists() and not Attachment.objects.exists()


def test_a_database_error_after_the_files_were_written_removes_them(db, media, monkeypatch):
    real_save = Attachment.save
    calls = []

    def save_then_fail(self, *args, **kwargs):
        calls.append(self.file.name)
        if len(calls) == 2:  # the second file is on disk when its row is refused
            assert stored_files(media)
            raise OperationalError("database or disk is full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save_then_fail)
    with pytest.raises(OperationalError):
        file_web_appeal(
            appeal_type="complaint",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13912345678",
            files=[upload("a.pdf", PDF, "application/pdf"), upload("b.png", tiny_png(), "image/png")],
        )
    assert len(calls) == 2
    assert stored_files(media) == []
    assert not Appeal.objects.exists()


def test_the_citizen_sees_the_maintenance_page_and_nothing_is_kept(db, media, full_disk):
    photo = upload("照片.png", tiny_png(), "image/png")
    response = Client(raise_request_exception=False).post(
        reverse("appeals_public:new"), web_form(attachments=[photo])
    )
    assert response.status_code == 503 and "系统维护中" in response.content.decode()
    assert stored_files(media) == [] and not Appeal.objects.exists()
