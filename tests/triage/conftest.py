from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zhengwu.triage import services
from zhengwu.triage.classifier import TextClassifier, train

from .data import EXAMPLES


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    """Model files go to a fresh directory per test, and no loaded model outlives a test."""
    settings.TRIAGE_MODEL_DIR = str(tmp_path / "models")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    services._cache.clear()
    yield Path(settings.TRIAGE_MODEL_DIR)
    services._cache.clear()


@pytest.fixture(scope="session")
def tiny_model() -> TextClassifier:
    return train(
        [t for t, _, _ in EXAMPLES], [b for _, b, _ in EXAMPLES], [label for _, _, label in EXAMPLES]
    )


@pytest.fixture
def write_csv(tmp_path):
    """write_csv("name.csv", rows, columns=...) → path of a UTF-8 CSV file."""

    def write(
        name: str,
        rows: list[dict[str, str]],
        columns: tuple[str, ...] = ("id", "title", "time", "body", "label"),
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


def labelled_rows(examples=EXAMPLES) -> list[dict[str, str]]:
    return [
        {"id": str(i), "title": t, "time": "2019/5/1 10:00:00", "body": b, "label": label}
        for i, (t, b, label) in enumerate(examples, start=1)
    ]


def grant(user, *codenames: str):
    """Give ``user`` triage permissions directly: the roles table (accounts/roles.py) is kept by
    another team; these tests must not depend on when it lists the triage permissions."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="triage", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached per object


@pytest.fixture
def triage_admin(make_user):
    return grant(
        make_user("admin"),
        "view_modelversion",
        "change_modelversion",
        "manage_models",
        "view_trainingexample",
        "view_dispatchrule",
        "add_dispatchrule",
        "change_dispatchrule",
        "use_triage",
    )


@pytest.fixture
def planted(make_user):
    """The three planted issues and the noise, as appeals registered today (see hot_data.py)."""
    from .hot_data import plant

    return plant(make_user("operator"))


@pytest.fixture
def hot_category(db):
    from zhengwu.appeals.models import Category

    return Category.objects.filter(is_active=True, parent__isnull=False).order_by("pk").first()
