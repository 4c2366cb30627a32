import pytest
from django.urls import reverse

from zhengwu.org.models import Level, Region

from ..factories import DepartmentFactory


@pytest.mark.django_db
def test_regions_filter_by_level_and_parent(client):
    city = Region.objects.create(code="410200", name="示范市", level=Level.CITY)
    Region.objects.create(code="410202", name="东城区", level=Level.COUNTY, parent=city)
    data = client.get("/api/regions/", {"level": 4}).json()
    assert [r["name"] for r in data["results"]] == ["东城区"]
    assert data["results"][0]["level_name"] == "县级"
    assert client.get("/api/regions/", {"parent": city.pk}).json()["count"] == 1
    assert client.get("/api/regions/", {"level": "x"}).json()["count"] == 0


@pytest.mark.django_db
def test_departments_are_searchable(client):
    DepartmentFactory(name="示范市民政局")
    DepartmentFactory(name="示范市公安局")
    data = client.get("/api/departments/", {"search": "民政"}).json()
    assert [d["name"] for d in data["results"]] == ["示范市民政局"]


@pytest.mark.django_db
def test_openapi_schema_and_local_swagger(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/regions/" in schema["paths"] and "/api/departments/" in schema["paths"]
    docs = client.get(reverse("swagger-ui")).content.decode()
    assert "drf_spectacular_sidecar" in docs  # Swagger UI's files come from the project, not a CDN
    assert "cdn" not in docs.lower()


@pytest.mark.django_db
def test_anonymous_cannot_write(client):
    assert client.post("/api/departments/", {"name": "x"}).status_code in (403, 405)
