"""Background work for triage: thin wrappers that call a service."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from . import services


@task()
def retrain(user_id: int | None = None) -> int:
    """Train a new model version on every stored example (enqueued from the admin); returns the
    version number. Activation follows the service's rule."""
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return services.train_model_version(by=by).number


@task()
def retrain_when_due() -> int | None:
    """The weekly job: a new version once enough new examples arrived (see the service)."""
    version = services.retrain_when_due()
    return version.number if version else None


@task()
def refresh_hot_issues(days: int = 30) -> int:
    """Recompute the hot issues of the last ``days`` days (the daily job, see schedule.py);
    idempotent: a run replaces the period's pending issues. Returns how many the period holds."""
    return len(services.refresh_recent_hot_issues(days=days))
