from __future__ import annotations

import pytest

from .factories import DepartmentFactory, UserFactory

PASSWORD = "Zhengwu-test-2026"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file of this run's own (not Django's in-memory default):
    the concurrency tests need several threads on one database through separate connections, as
    the web server and the task worker share var/db.sqlite3. A file per run keeps parallel runs on
    one machine apart."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests create hundreds of users. One test checks Argon2 itself."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def shared_cache_starts_empty(request, settings):
    """Lock-out and throttle counters live in the shared cache. In the database cache a test's
    counts roll back with it, except in a transactional test; in Redis (CACHE_URL) they outlive
    every test. Either way each test starts from no counts."""
    backend = settings.CACHES["default"]["BACKEND"]
    marker = request.node.get_closest_marker("django_db")
    if backend.endswith("DatabaseCache"):
        if not (marker and marker.kwargs.get("transaction")):
            return
        request.getfixturevalue("transactional_db")
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def make_user(db):
    """make_user("clerk", department=...) — a staff user holding the given roles."""

    def make(*roles: str, **kwargs):
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin")


# The suite runs on a fixed, covered working day so that deadlines computed from "now" never run
# into a year the calendar table does not hold yet. The clock starts there before the test
# database is built (so seed rows are not "from the future") and keeps ticking.
FIXED_NOW = "2026-06-10 10:00:00+08:00"


def pytest_configure(config):
    import time_machine

    time_machine.travel(FIXED_NOW, tick=True).start()


def seed_as_migrations_do() -> None:
    """Put back what the migrations seed — content types, permissions and role groups, appeal
    categories and deadline policies, the working-day calendar, Open311 service codes. Idempotent."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal

    from zhengwu.calendar.models import CalendarYear

    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    importlib.import_module("zhengwu.appeals.migrations.0002_seed_categories_and_policies").seed(apps, None)
    importlib.import_module("zhengwu.appeals.migrations.0009_open311_services").seed(apps, None)
    if not CalendarYear.objects.exists():
        importlib.import_module("zhengwu.calendar.migrations.0002_seed_2004_2026").seed(apps, None)


@pytest.fixture(autouse=True)
def migration_seeds(request):
    """A transactional test (browser, live server) flushes the database when it ends, taking the
    migrations' seed data with it. Before each such test put back what the migrations seed.

    This replaces ``serialized_rollback``, which must then not be used: a transactional test
    without it re-creates groups and permissions on its flush (post_migrate), and the next test
    with it would insert them a second time."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    seed_as_migrations_do()


@pytest.fixture(scope="session")
def demo_city_rows(django_db_setup, django_db_blocker):
    """The demo city's rows, loaded once per test process (see tests/demo_city.py)."""
    from django.test import override_settings

    from . import demo_city

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        return demo_city.load_and_capture(seed_as_migrations_do)


@pytest.fixture
def demo_city(request, demo_city_rows, migration_seeds):
    """The demo city in this test's database, as ``load_demo_city`` leaves it."""
    from . import demo_city

    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    demo_city.restore(demo_city_rows)


@pytest.fixture(autouse=True)
def fresh_repeat_index():
    """The 并单 index lives for the process; each test's appeals are its own."""
    from zhengwu.appeals import repeats

    repeats.reset()
