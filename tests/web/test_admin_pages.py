"""The Django admin answers for every registered model: list (with a search), add and change."""

import pytest
from django.contrib import admin
from django.urls import reverse

from ..factories import UserFactory


@pytest.mark.django_db
def test_admin_pages_for_every_model(client, demo_city):
    client.force_login(UserFactory(is_superuser=True))
    failures = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        response = client.get(reverse(f"{base}_changelist"), {"q": "示范"})
        if response.status_code != 200:
            failures.append((opts.label, "list", response.status_code))
            continue
        if model_admin.has_add_permission(response.wsgi_request):
            status = client.get(reverse(f"{base}_add")).status_code
            if status != 200:
                failures.append((opts.label, "add", status))
        if (obj := model.objects.first()) is not None:
            status = client.get(reverse(f"{base}_change", args=[obj.pk])).status_code
            if status != 200:
                failures.append((opts.label, "change", status))
    assert failures == []
    assert len(admin.site._registry) >= 15
