"""Uploads checked by content against each kind of matter's limits (casework/attachments.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengwu.appeals import attachments as appeal_attachments
from zhengwu.casework.attachments import Limits, check_files, clean_name, sniff
from zhengwu.core.errors import InvalidInput

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SMALL = Limits(max_files=2, max_bytes=1024 * 1024, field="materials", noun="材料")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_kind_of_matter_states_its_limits_and_the_messages_use_them():
    assert SMALL.size_label == "1MB"
    with pytest.raises(InvalidInput, match=r"^最多上传2个材料，本次共3个$") as refused:
        check_files([upload(f"{i}.pdf", PDF) for i in range(3)], SMALL)
    assert refused.value.field == "materials"
    assert len(check_files([upload("a.pdf", PDF), upload("b.pdf", PDF)], SMALL)) == 2
    with pytest.raises(InvalidInput, match=r"^最多上传2个材料，本次共3个$"):  # two already stored
        check_files([upload("c.pdf", PDF)], SMALL, already=2)


def test_size_emptiness_and_content_are_each_named():
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(InvalidInput, match=r"^材料「大.pdf」超过1MB，请压缩后再上传$"):
        check_files([upload("大.pdf", big)], SMALL)
    exact = PDF + b"0" * (1024 * 1024 - len(PDF))
    [ok] = check_files([upload("刚好.pdf", exact)], SMALL)
    assert ok.size == 1024 * 1024 and ok.content_type == "application/pdf" and len(ok.sha256) == 64
    with pytest.raises(InvalidInput, match=r"材料「空.pdf」是空文件"):
        check_files([upload("空.pdf", b"")], SMALL)
    with pytest.raises(InvalidInput, match=r"材料「photo.jpg」不是图片或PDF文件"):
        check_files([upload("photo.jpg", b"MZ\x90\x00 an executable")], SMALL)


def test_nothing_is_accepted_when_one_file_of_the_batch_is_refused():
    with pytest.raises(InvalidInput, match=r"坏.png"):
        check_files([upload("好.pdf", PDF), upload("坏.png", b"not a png")], SMALL)


def test_the_content_decides_not_the_name():
    assert sniff(PNG) == "image/png" and sniff(PDF) == "application/pdf"
    assert sniff(b"GIF89a....") == "image/gif" and sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg" and sniff(b"MZ") is None
    [checked] = check_files([upload("scan.txt", PNG)], SMALL)
    assert checked.content_type == "image/png" and checked.name == "scan.txt"
    assert clean_name("..\\..\\etc/pass\x00wd.pdf") == "passwd.pdf"
    assert clean_name("") == "附件"
    long = clean_name("长" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_the_appeal_limits_are_three_files_of_five_megabytes_on_attachments():
    assert Limits(max_files=3, max_bytes=5 * 1024 * 1024, field="attachments") == appeal_attachments.LIMITS
    assert appeal_attachments.MAX_LABEL == "5MB"
    with pytest.raises(InvalidInput, match=r"^最多上传3个附件，本次共4个$") as refused:
        appeal_attachments.check_files([upload(f"{i}.pdf", PDF) for i in range(4)])
    assert refused.value.field == "attachments"
