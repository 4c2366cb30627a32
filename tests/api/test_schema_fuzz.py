"""Schemathesis against our OpenAPI schema (/api/schema/): for every operation, requests generated
from the schema — valid ones and ones that break it — sent as anonymous, as an API client, as
an administrator and as each role, must never answer a 5xx. Bounded (a few examples per operation
and user, derandomised, no deadline) so that it stays a CI test of under a minute; each failure
names the operation, the request and how to replay it.

The data: a small appeals desk with an appeal in every state and one accepted application, so
that the ids and numbers the fuzzer tries now and then hit real rows."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from zhengwu.accounts.roles import ROLES
from zhengwu.appeals.models import ApiClient
from zhengwu.appeals.services import hash_api_key
from zhengwu.appeals.workflow import AppealState

from ..factories import UserFactory

KEY = "schema-fuzz-channel-key-0001"
CSRF = "schemafuzzcsrftokenschemafuzz001"  # any 32 letters: the cookie and the header agree
# Examples per operation and user. The administrator, who may call everything, gets valid and
# schema-breaking requests; every other user valid ones (what a role may do is decided after the
# input is read), so that with 12 other users the whole test stays around a minute.
EXAMPLES = {"admin": 6, "other": 2}


def _schema() -> Any:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    return schema


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Requests go through Django's WSGI handler in this thread, inside the test's transaction;
    the handler's close_old_connections would close the test's connection (Django's test client
    disconnects it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _session_for(user: Any) -> str:
    """A signed-in session without a login request (the fuzzer's own requests are what count)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _identities(desk: Any) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Who calls: (headers, cookies) for anonymous, a channel's API key and one user per role."""
    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")
    csrf = {"X-CSRFToken": CSRF}
    users = {
        "handler": desk.lead_handler,
        "dispatcher": desk.dispatcher,
        "operator": desk.operator,
        "callback": desk.callback,
        "supervisor": desk.supervisor,
    }
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "anonymous": ({}, {}),
        "api-client": ({"Authorization": f"ApiKey {KEY}"}, {}),
    }
    for role in ROLES:
        user = users.get(role.code) or UserFactory(roles=[role.code], department=desk.lead_dept)
        out[role.code] = (csrf, {"sessionid": _session_for(user), "csrftoken": CSRF})
    return out


def _an_application() -> None:
    """One accepted application (办件), so that generated numbers now and then name a real one."""
    from decimal import Decimal

    from zhengwu.applications import services as applications
    from zhengwu.applications.models import MaterialStatus

    from ..catalog.factories import ItemMaterialFactory, ServiceItemFactory
    from ..factories import CitizenFactory, DepartmentFactory

    item = ServiceItemFactory(department=DepartmentFactory(), promised_limit_days=Decimal(5))
    use = ItemMaterialFactory(item=item)
    applications.window_intake(
        item=item,
        by=UserFactory(roles=["clerk"]),
        applicant=CitizenFactory(),
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={},
        materials=[applications.MaterialInput(use.pk, MaterialStatus.RECEIVED, originals=1)],
        outcome="accept",
    )


def _existing_ids() -> dict[str, list[Any]]:
    """Real rows per path prefix: a generated id is mostly one nobody has (a 404 every time).
    Applications are named by their number, the rest by id."""
    from zhengwu.appeals.models import Appeal, Assignment, Extension
    from zhengwu.applications.models import Application
    from zhengwu.catalog.models import Bundle, ServiceItem
    from zhengwu.org.models import Department, Region
    from zhengwu.triage.models import HotIssue

    models = {
        "/api/appeals/": Appeal,
        "/api/assignments/": Assignment,
        "/api/extensions/": Extension,
        "/api/items/": ServiceItem,
        "/api/bundles/": Bundle,
        "/api/departments/": Department,
        "/api/regions/": Region,
        "/api/hot-issues/": HotIssue,
    }
    pools: dict[str, list[Any]] = {
        prefix: list(model.objects.values_list("pk", flat=True)[:20]) for prefix, model in models.items()
    }
    pools["/api/applications/"] = list(Application.objects.values_list("number", flat=True)[:20])
    return pools


def _fuzz(
    operation: Any, who: str, headers: dict[str, str], cookies: dict[str, str], ids: dict[str, list[Any]]
) -> None:
    examples = EXAMPLES["admin" if who == "admin" else "other"]
    modes = (
        (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if who == "admin" else (GenerationMode.POSITIVE,)
    )
    pool = next((v for prefix, v in ids.items() if operation.path.startswith(prefix)), [])
    for mode in modes:
        # Valid requests name real rows, chosen by the example; invalid ones keep their odd ids.
        check = _check_one(pool if mode == GenerationMode.POSITIVE else [], headers, cookies)
        limits = hsettings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        try:
            given(case=operation.as_strategy(generation_mode=mode))(limits(check))()
        except Unsatisfiable:
            if mode == GenerationMode.NEGATIVE:
                continue  # an operation without parameters or body has nothing to make invalid
            raise


def _check_one(real_ids: list[Any], headers: dict[str, str], cookies: dict[str, str]) -> Any:
    def check(case: Any) -> None:
        cache.clear()  # throttles count per test, not across the whole fuzzing run
        params = case.path_parameters or {}
        if real_ids and isinstance(params.get("id"), int):
            params["id"] = real_ids[params["id"] % len(real_ids)]
        if real_ids and isinstance(params.get("number"), str):
            params["number"] = real_ids[len(params["number"]) % len(real_ids)]
        response = case.call(headers=headers, cookies=cookies)
        case.validate_response(response, checks=[not_a_server_error])

    return check


@pytest.mark.parametrize("who", ["anonymous", "api-client", *(r.code for r in ROLES)])
def test_no_operation_answers_5xx(desk, wsgi_in_test_transaction, who):
    for state in (AppealState.REGISTERED, AppealState.DISPATCHED, AppealState.REPLIED):
        desk.reach(state)
    _an_application()
    headers, cookies = _identities(desk)[who]
    ids = _existing_ids()
    failures = []
    for operation in OPERATIONS:
        try:
            _fuzz(operation, who, headers, cookies, ids)
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_schema_covers_the_apis():
    paths = {op.path for op in OPERATIONS}
    assert {"/api/appeals/", "/api/appeals/{id}/triage", "/api/calendar/add", "/api/triage/suggest"} <= paths
