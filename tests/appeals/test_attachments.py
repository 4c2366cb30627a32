"""附件: type by content, size and count limits, all-or-nothing storage, and who may download."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengwu.appeals import services
from zhengwu.appeals.attachments import MAX_BYTES, check_files, clean_name, save_attachments, sniff
from zhengwu.appeals.models import Attachment
from zhengwu.appeals.public_services import WEB_VISITOR
from zhengwu.core.errors import InvalidInput

from ..factories import UserFactory


def tiny_png() -> bytes:
    """A real 1×1 PNG, built here so the test needs no file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class TestSniff:
    @pytest.mark.parametrize(
        ("head", "kind"),
        [
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
            (tiny_png(), "image/png"),
            (b"GIF89a\x01\x00", "image/gif"),
            (b"GIF87a\x01\x00", "image/gif"),
            (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
            (PDF, "application/pdf"),
        ],
    )
    def test_accepted_types_are_recognised_by_their_first_bytes(self, head, kind):
        assert sniff(head[:16]) == kind

    @pytest.mark.parametrize(
        "head",
        [EXE, b"\x7fELF\x02\x01\x01", b"<html><script>", b"PK\x03\x04", b"RIFF\x24\x00\x00\x00WAVE", b""],
    )
    def test_anything_else_is_refused(self, head):
        assert sniff(head[:16]) is None

    def test_names_lose_directories_and_control_characters(self):
        assert clean_name("../../etc/passwd") == "passwd"
        assert clean_name("C:\\Users\\张三\\照片.jpg") == "照片.jpg"
        assert clean_name("a\x00b\n.png") == "ab.png"
        assert clean_name("") == "附件"
        assert len(clean_name("长" * 300 + ".pdf")) == 200


class TestSave:
    def test_stores_hash_size_and_the_type_found_in_the_content(self, desk, media):
        appeal = desk.register()
        png = tiny_png()
        # Named .jpg and declared as JPEG by the browser: it is a PNG, and is stored as one.
        [att] = save_attachments(
            appeal=appeal, files=[upload("现场.jpg", png)], purpose="intake", by=desk.operator
        )
        att.refresh_from_db()
        assert att.content_type == "image/png"
        assert att.size == len(png)
        assert att.sha256 == hashlib.sha256(png).hexdigest()
        assert att.name == "现场.jpg" and att.uploaded_by == desk.operator
        assert att.file.read() == png
        assert len(stored_files(media)) == 1

    def test_an_executable_renamed_jpg_is_refused_and_nothing_is_stored(self, desk, media):
        appeal = desk.register()
        with pytest.raises(InvalidInput) as info:
            save_attachments(
                appeal=appeal,
                files=[upload("照片.jpg", tiny_png()), upload("x.jpg", EXE)],
                purpose="intake",
                by=None,
            )
        assert info.value.message == "附件「x.jpg」不是图片或PDF文件"
        assert info.value.field == "attachments" and info.value.status == 400
        assert not Attachment.objects.exists()
        assert stored_files(media) == []

    def test_a_file_over_the_limit_is_refused_naming_it_and_the_limit(self, desk, media):
        appeal = desk.register()
        big = b"%PDF-1.7\n" + b"0" * MAX_BYTES
        with pytest.raises(InvalidInput) as info:
            save_attachments(appeal=appeal, files=[upload("材料.pdf", big)], purpose="intake", by=None)
        assert "材料.pdf" in info.value.message and "5MB" in info.value.message
        assert not Attachment.objects.exists() and stored_files(media) == []

    def test_exactly_the_limit_is_accepted(self, desk):
        appeal = desk.register()
        exact = b"%PDF-1.7\n" + b"0" * (MAX_BYTES - 9)
        [att] = save_attachments(appeal=appeal, files=[upload("a.pdf", exact)], purpose="intake", by=None)
        assert att.size == MAX_BYTES

    def test_at_most_three_files_counting_those_already_there(self, desk):
        appeal = desk.register()
        four = [upload(f"{i}.png", tiny_png()) for i in range(4)]
        with pytest.raises(InvalidInput, match="最多上传3个附件"):
            save_attachments(appeal=appeal, files=four, purpose="intake", by=None)
        save_attachments(appeal=appeal, files=four[:2], purpose="intake", by=None)
        with pytest.raises(InvalidInput, match="最多上传3个附件"):
            save_attachments(appeal=appeal, files=four[2:], purpose="intake", by=None)
        assert appeal.attachments.count() == 2

    def test_empty_files_and_unknown_purposes_are_refused(self, desk):
        with pytest.raises(InvalidInput, match="空文件"):
            check_files([upload("a.png", b"")])
        with pytest.raises(InvalidInput, match="用途"):
            save_attachments(appeal=desk.register(), files=[upload("a.pdf", PDF)], purpose="x", by=None)


class TestDownload:
    @pytest.fixture
    def filed(self, desk):
        appeal, code = services.register_appeal(
            channel="web",
            appeal_type="complaint",
            title="路面破损",
            body="幸福路路面破损。",
            contact_phone="13800000009",
            by=WEB_VISITOR,
        )
        [att] = save_attachments(
            appeal=appeal, files=[upload("现场.png", tiny_png())], purpose="intake", by=None
        )
        services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
        services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.dispatcher)
        return appeal, code, att

    def url(self, att) -> str:
        return reverse("appeals_public:attachment", args=[att.pk])

    def test_staff_who_see_the_appeal_download_it_as_an_attachment(self, client, desk, filed):
        _, _, att = filed
        for user in (desk.dispatcher, desk.lead_handler):
            client.force_login(user)
            response = client.get(self.url(att))
            assert response.status_code == 200
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Type"] == "image/png"
            assert b"".join(response.streaming_content) == tiny_png()

    def test_the_staff_detail_page_links_the_download(self, client, desk, filed):
        appeal, _, att = filed
        client.force_login(desk.lead_handler)
        html = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
        assert f'<a href="{self.url(att)}">现场.png</a>' in html

    def test_another_department_and_another_citizen_get_404(self, client, desk, filed):
        _, _, att = filed
        client.force_login(desk.other_handler)
        assert client.get(self.url(att)).status_code == 404
        client.force_login(UserFactory(is_staff=False, department=None))
        assert client.get(self.url(att)).status_code == 404
        client.logout()
        assert client.get(self.url(att)).status_code == 404

    def test_a_citizen_with_a_checked_query_code_downloads_their_own_files_only(self, client, desk, filed):
        appeal, code, att = filed
        other, _ = services.register_appeal(
            channel="web",
            appeal_type="help",
            title="别人的",
            body="别人的诉求",
            contact_phone="13800000010",
            by=WEB_VISITOR,
        )
        [other_att] = save_attachments(appeal=other, files=[upload("b.pdf", PDF)], purpose="intake", by=None)
        client.post(reverse("appeals_public:track"), {"number": appeal.number, "code": code})
        assert client.get(self.url(att)).status_code == 200
        assert client.get(self.url(other_att)).status_code == 404

    def test_reply_files_reach_the_citizen_only_once_the_reply_is_approved(self, client, desk, filed):
        appeal, code, _ = filed
        services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
        services.submit_reply(appeal=appeal, text="已修复。", by=desk.lead_handler)
        [reply_att] = save_attachments(
            appeal=appeal, files=[upload("整改.pdf", PDF)], purpose="reply", by=desk.lead_handler
        )
        client.post(reverse("appeals_public:track"), {"number": appeal.number, "code": code})
        assert client.get(self.url(reply_att)).status_code == 404
        services.approve_reply(appeal=appeal, by=desk.dispatcher)
        assert client.get(self.url(reply_att)).status_code == 200
