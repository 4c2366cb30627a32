"""POST /api/triage/suggest: answers, and refuses bad input with a Chinese message naming the field."""

from __future__ import annotations

import pytest

from zhengwu.appeals.models import Category
from zhengwu.triage import services
from zhengwu.triage.models import DispatchRule

from .conftest import grant
from .data import ENVIRONMENT, EXAMPLES, NEW_ENVIRONMENT

pytestmark = pytest.mark.django_db
URL = "/api/triage/suggest"


@pytest.fixture
def dispatcher_client(client, make_user):
    client.force_login(grant(make_user("dispatcher"), "use_triage"))
    return client


def post(client, payload, **extra):
    return client.post(URL, payload, content_type="application/json", **extra)


def test_suggestions_from_the_model(dispatcher_client, department):
    services.import_examples(EXAMPLES)
    services.train_model_version()
    Category.objects.filter(name=ENVIRONMENT, parent=None).update(department=department)
    response = post(dispatcher_client, {"title": NEW_ENVIRONMENT[0], "body": NEW_ENVIRONMENT[1]})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["source"] == "model" and data["model_version"] == 1 and data["notice"] == ""
    assert len(data["suggestions"]) == 3
    best = data["suggestions"][0]
    assert best["category"] == ENVIRONMENT
    assert best["department"] == {"id": department.pk, "name": department.name}
    assert 0 < best["probability"] <= 1 and best["reasons"]
    assert best["evidence"][0]["phrase"] == best["reasons"][0]
    assert sum(s["probability"] for s in data["suggestions"]) <= 1.0001


def test_suggestions_from_rules_before_any_model(dispatcher_client):
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="噪音、粉尘")
    data = post(dispatcher_client, {"body": "工地粉尘太大了"}).json()
    assert data["source"] == "rules" and data["model_version"] is None
    assert data["suggestions"][0] == {
        "category": ENVIRONMENT,
        "probability": None,
        "department": None,
        "reasons": ["规则匹配：关键词“粉尘”"],
        "evidence": [],
        "second_level": None,  # no child of 环境保护 is named in the text
    }
    assert "派单目录" in data["notice"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "", "body": ""}, "body", "请填写诉求内容"),
        ({"title": "   ", "body": "\n\t  "}, "body", "请填写诉求内容"),
        ({}, "body", "请填写诉求内容"),
        (
            {"title": "Noise", "body": "The construction site is too noisy at night."},
            "body",
            "请使用中文描述诉求",
        ),
        ({"title": "", "body": "小区噪音" * 5001}, "body", "诉求内容过长"),
        ({"title": "标题" * 10001, "body": "小区噪音"}, "title", "标题过长"),
        ({"title": "", "body": ["不是文本"]}, "body", ""),
    ],
)
def test_bad_input_is_refused_naming_the_field(dispatcher_client, payload, field, message):
    response = post(dispatcher_client, payload)
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data["errors"]
    assert message in data["detail"]


def test_200_kb_is_refused_before_parsing(dispatcher_client):
    response = post(dispatcher_client, {"title": "", "body": "噪音" * 100_000})  # 200,000 characters
    assert response.status_code == 413
    data = response.json()
    assert "过大" in data["detail"] and "body" in data["errors"]


def test_only_staff_with_the_permission(client, make_user):
    assert post(client, {"body": "小区噪音"}).status_code == 403
    client.force_login(make_user("handler"))
    response = post(client, {"body": "小区噪音"})
    assert response.status_code == 403 and "智能研判" in response.json()["detail"]


def test_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/triage/suggest"]["post"]
    assert operation["operationId"] == "triage_suggest"
    assert {"200", "400", "413"} <= set(operation["responses"])
