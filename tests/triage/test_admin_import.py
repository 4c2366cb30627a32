"""导入历史工单 in the admin: a city's past classified appeals become training examples — the
whole file or nothing, refusals in Chinese naming the rows — and a retraining is queued."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengwu.triage import admin as triage_admin_module
from zhengwu.triage.models import ExampleSource, ModelVersion, TrainingExample

from .conftest import labelled_rows

pytestmark = pytest.mark.django_db
URL = "/admin/triage/trainingexample/import/"


def csv_upload(
    rows, *, name="历史工单.csv", encoding="utf-8", columns=("id", "title", "time", "body", "label")
):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


@pytest.fixture
def admin_client(client, triage_admin):
    client.force_login(triage_admin)
    return client


def test_the_list_of_examples_offers_the_import(admin_client):
    page = admin_client.get("/admin/triage/trainingexample/").content.decode()
    assert URL in page and "导入历史工单" in page


def test_a_good_file_is_imported_and_a_training_queued(
    admin_client, triage_admin, django_capture_on_commit_callbacks
):
    rows = labelled_rows()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"file": csv_upload(rows), "train_now": "on"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"已导入历史工单.csv：{len(rows)}条，新增训练样本{len(rows)}条" in page
    assert "已提交训练任务" in page
    examples = TrainingExample.objects.all()
    assert examples.count() == len(rows)
    assert set(examples.values_list("source", "created_by")) == {(ExampleSource.SEED, triage_admin.pk)}
    version = ModelVersion.objects.get()  # the queued training ran (immediate backend in tests)
    assert version.training_size == len(rows) and version.created_by == triage_admin

    # The same file again adds nothing and trains nothing.
    response = admin_client.post(URL, {"file": csv_upload(rows), "train_now": "on"}, follow=True)
    assert f"新增训练样本0条（其余{len(rows)}条已存在）" in response.content.decode()
    assert ModelVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda rows: csv_upload(rows, encoding="gbk"), "不是UTF-8编码，看起来是GBK"),
        (lambda rows: csv_upload(rows, columns=("id", "title", "body")), "缺少列：time、label"),
        (lambda rows: csv_upload([*rows[:3], {**rows[3], "label": ""}, *rows[4:]]), "第5行分类为空"),
        (
            lambda rows: csv_upload([{**rows[0], "label": "天气预报"}, *rows[1:]]),
            "派单目录中没有的分类：天气预报",
        ),
        (lambda rows: csv_upload([{**rows[0], "body": "x" * 20_001}, *rows[1:]]), "第2行内容超过20000字"),
    ],
)
def test_a_bad_file_is_refused_whole_in_chinese(admin_client, upload, message):
    response = admin_client.post(URL, {"file": upload(labelled_rows()), "train_now": "on"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "历史工单.csv" in response.content.decode() or "缺少列" in message
    assert not TrainingExample.objects.exists() and not ModelVersion.objects.exists()


def test_no_file_is_a_400_naming_the_field(admin_client):
    response = admin_client.post(URL, {"train_now": "on"})
    assert response.status_code == 400 and "请选择要导入的历史工单文件（CSV）" in response.content.decode()


@pytest.mark.parametrize("copies", [2, 40], ids=["file over the limit", "request over the limit"])
def test_an_oversized_upload_is_refused(admin_client, monkeypatch, copies):
    monkeypatch.setattr(triage_admin_module, "MAX_IMPORT_BYTES", 4 * 1024)
    upload = csv_upload(labelled_rows() * copies)
    assert upload.size > 4 * 1024 and (copies == 2) == (upload.size < 64 * 1024)
    response = admin_client.post(URL, {"file": upload})
    assert (
        response.status_code == 413
        and "文件过大，不能超过 4.0\xa0KB，请分批导入" in response.content.decode()
    )
    assert not TrainingExample.objects.exists()


def test_without_the_model_permission_the_import_is_forbidden(client, make_user):
    from django.contrib.auth.models import Permission

    from .conftest import grant

    clerk = make_user("admin")
    clerk.groups.clear()
    # An administrator who may enter the admin and read the examples, but not manage models.
    clerk.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="use_admin")
    )
    clerk = grant(clerk, "view_trainingexample")
    client.force_login(clerk)
    assert client.get("/admin/triage/trainingexample/").status_code == 200
    assert client.get(URL).status_code == 403
    page = client.get("/admin/triage/trainingexample/").content.decode()
    assert URL not in page


def test_a_file_of_one_category_joins_the_stored_examples(admin_client):
    rows = labelled_rows()
    construction = [r for r in rows if r["label"] == "城乡建设"]
    response = admin_client.post(URL, {"file": csv_upload(construction)})
    assert (
        response.status_code == 400 and "只有一个分类（城乡建设），至少需要两个" in response.content.decode()
    )

    others = [r for r in rows if r["label"] != "城乡建设"]
    admin_client.post(URL, {"file": csv_upload(others, name="其他.csv")})
    response = admin_client.post(URL, {"file": csv_upload(construction, name="城建.csv")}, follow=True)
    assert (
        f"已导入城建.csv：{len(construction)}条，新增训练样本{len(construction)}条"
        in response.content.decode()
    )
    assert TrainingExample.objects.count() == len(rows)
