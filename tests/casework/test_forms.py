"""The track form every matter shares speaks of its own matter's number, and the track pages built
on it take the number as a person types it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhengwu.casework.forms import MultipleFileField, track_form


def test_a_track_form_names_its_own_matter_and_keeps_its_limit():
    form_class = track_form(noun="办件编号", example="BJ-20260610-000123", max_length=12)
    number = form_class.base_fields["number"]
    assert number.label == "办件编号"
    assert number.widget.attrs["placeholder"] == "例如 BJ-20260610-000123"
    empty = form_class({"number": "", "code": ""})
    assert not empty.is_valid()
    assert empty.errors == {"number": ["请填写办件编号"], "code": ["请填写查询码"]}
    too_long = form_class({"number": "B" * 13, "code": "1" * 21})
    assert not too_long.is_valid()
    assert too_long.errors == {"number": ["办件编号或查询码不正确"], "code": ["办件编号或查询码不正确"]}


def test_a_track_form_reads_the_number_in_capitals_without_spaces():
    form = track_form(noun="工单号", example="ZW-20261122-000123", max_length=30)(
        {"number": "  zw-20261122-000123 ", "code": " 12345678 "}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"number": "ZW-20261122-000123", "code": "12345678"}


def test_two_track_forms_do_not_share_their_words():
    appeals = track_form(noun="工单号", example="ZW-1", max_length=30)
    applications = track_form(noun="办件编号", example="BJ-1", max_length=50)
    assert appeals.base_fields["number"].label == "工单号"
    assert applications.base_fields["number"].max_length == 50
    assert appeals.base_fields["number"].max_length == 30


def test_the_file_field_takes_none_one_or_several_files():
    field = MultipleFileField(required=False)
    assert field.clean(None) == []
    assert field.clean([]) == []


@pytest.mark.parametrize(
    ("url", "longest"), [("appeals_public:track", 30), ("applications_public:track", 50)]
)
def test_a_track_page_prefills_the_number_cut_to_what_its_form_takes(client, db, url, longest):
    response = client.get(reverse(url), {"number": "X" * 80})
    assert response.status_code == 200
    assert response.context["form"].initial == {"number": "X" * longest}
