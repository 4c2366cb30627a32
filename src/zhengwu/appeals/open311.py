"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2), so that existing
civic-issue clients can file and follow appeals.

- Services are the active appeal categories that have a ``service_code`` and that an administrator
  chose to publish (``open311_published``); the seeded categories come with stable codes
  (migration 0009), ``keywords`` are the category's own (else its two names), ``group`` is the
  parent category. They take no extra attributes (``metadata`` false).
- POST requests needs the ``api_key`` of an active ApiClient; the appeal is filed on the client's
  channel as 求助 (a request to put something right — potholes, lights, rubbish — is help asked of
  the government, not a complaint about an official), titled with the description's first line,
  with the requested service as its category (a starting point that 研判 may change), and the
  appeal number is the ``service_request_id``. Appeals filed before categories were recorded at
  registration are still recognised by their "service：first line" title.
- GET requests publishes public fields only: never the contact details, nor the citizen's own
  text; confidential appeals and 举报 are never listed. ``status_notes`` is the reply once it was
  sent to the citizen.
- Errors are in the spec's format, JSON or XML, with the HTTP status and a Chinese description.
- Control characters in the description and the names are removed, as on every intake path
  (``register_appeal``, ``core.text``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from zhengwu.casework.actors import Actor
from zhengwu.core.errors import DomainError

from . import privacy
from . import services as appeal_services
from .models import ApiClient, Appeal, AppealType, Assignment, Category
from .open311_format import error, render, w3
from .serializers import reply_is_public
from .services import hash_api_key
from .workflow import OPEN_STATES, AppealState

app_name = "open311"

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-04T00:00:00+08:00"  # when this endpoint's behaviour last changed
MAX_RESULTS = 1000
DEFAULT_SPAN = timedelta(days=90)
MIN_YEAR, MAX_YEAR = 1900, 9000  # what start_date / end_date may name
SEP = "："  # between the service name and the citizen's words in the title

# Our field names in service errors → the Open311 parameter the client sent.
PARAM = {
    "title": "description",
    "body": "description",
    "contact_phone": "phone",
    "contact_name": "first_name/last_name",
    "address": "address_string",
}

View = Callable[..., HttpResponse]


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allow ``methods`` only, and answer every refusal in the spec's error format."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(fmt, 405, f"不支持 {request.method} 请求，请使用 {' 或 '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)

        return run

    return wrap


# ---------------------------------------------------------------------------------------------
# Services (诉求分类)


def _service_categories() -> QuerySet[Category]:
    return (
        Category.objects.filter(is_active=True, open311_published=True, service_code__isnull=False)
        .exclude(service_code="")
        .select_related("parent")
        .order_by("parent__order", "parent__name", "order", "name")
    )


def _service(category: Category) -> dict[str, Any]:
    parent = category.parent
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": f"{parent.name} / {category.name}" if parent else category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": _keywords(category),
        "group": parent.name if parent else category.name,
    }


def _keywords(category: Category) -> str:
    """GeoReport v2 ``keywords``: a comma-separated list, without spaces or empty items."""
    parent = category.parent
    names = [parent.name if parent else "", category.name]
    own = category.keywords.replace("，", ",").split(",") if category.keywords else []
    return ",".join(dict.fromkeys(k.strip() for k in [*names, *own] if k.strip()))


class ServiceIndex:
    """The published services, to tell which one an appeal is about: its category when that has a
    code, otherwise the service named at the start of its title (filed here, not yet triaged).
    Titles name the service as "parent / name", which the tree keeps unique."""

    def __init__(self) -> None:
        self.by_code = {c.service_code: c for c in _service_categories()}
        self.by_label = {str(c): c for c in self.by_code.values()}

    def of(self, appeal: Appeal) -> Category | None:
        if appeal.category is not None and appeal.category.service_code in self.by_code:
            return appeal.category
        return self.by_label.get(appeal.title.split(SEP, 1)[0]) if SEP in appeal.title else None

    def matching(self, codes: list[str]) -> Q:
        q = Q(pk__in=[])
        for c in (self.by_code[code] for code in codes if code in self.by_code):
            q |= Q(category=c) | Q(title__startswith=f"{c}{SEP}")
        return q


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": "12345政务服务便民热线",
            "key_service": "api_key 由平台管理员在“接口客户端”中创建并发放",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
    )


@endpoint("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", [_service(c) for c in _service_categories()])


@endpoint("GET")
def service_definition(request: HttpRequest, *, fmt: str, code: str) -> HttpResponse:
    category = _service_categories().filter(service_code=code).first()
    if category is None:
        raise Open311Error(404, f"没有服务代码为 {code} 的服务")
    return render(fmt, "service_definition", {"service_code": category.service_code, "attributes": []})


# ---------------------------------------------------------------------------------------------
# Service requests (诉求)


def _public_appeals() -> QuerySet[Appeal]:
    leads = (
        Assignment.objects.filter(role=Assignment.Role.LEAD)
        .exclude(state="cancelled")
        .select_related("department")
        .order_by("-id")
    )
    return (
        privacy.without_confidential(Appeal.objects.all())
        .select_related("category", "category__parent")
        .prefetch_related(Prefetch("assignments", queryset=leads, to_attr="open311_leads"))
        .order_by("-created_at", "-id")
    )


def _request(appeal: Appeal, index: ServiceIndex) -> dict[str, Any]:
    category = index.of(appeal)
    leads: list[Assignment] = getattr(appeal, "open311_leads", [])
    return {
        "service_request_id": appeal.number,
        "status": "open" if appeal.state in OPEN_STATES else "closed",
        "status_notes": appeal.reply if reply_is_public(appeal) else AppealState(appeal.state).label,
        "service_name": category.name if category else None,
        "service_code": category.service_code if category else None,
        "agency_responsible": leads[0].department.name if leads else None,
        "service_notice": None,
        "requested_datetime": w3(appeal.created_at),
        "updated_datetime": w3(appeal.updated_at),
        "expected_datetime": w3(appeal.due_at),
        "address": appeal.address,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _when(params: Any, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise Open311Error(400, f"{name} 须为 W3C 日期时间格式，如 2026-01-01T00:00:00+08:00")
    # Year 1 or 9999 parses, but moving it to UTC or 90 days back leaves the calendar (a 500).
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Open311Error(400, f"{name} 的年份须在 {MIN_YEAR} 到 {MAX_YEAR} 之间")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _csv(params: Any, name: str) -> list[str]:
    return [v.strip() for v in (params.get(name) or "").split(",") if v.strip()]


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.GET
    qs = _public_appeals()
    index = ServiceIndex()
    numbers = _csv(params, "service_request_id")
    if numbers:  # the spec: ids override every other filter
        qs = qs.filter(number__in=numbers[:MAX_RESULTS])
    else:
        start, end = _when(params, "start_date"), _when(params, "end_date")
        if start and end and end - start > DEFAULT_SPAN:
            raise Open311Error(400, "start_date 与 end_date 的跨度不能超过90天")
        if start and end and end < start:
            raise Open311Error(400, "end_date 不能早于 start_date")
        if start is None:
            start = (end or timezone.now()) - DEFAULT_SPAN
        qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        codes = _csv(params, "service_code")
        if codes:
            qs = qs.filter(index.matching(codes))
        statuses = set(_csv(params, "status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status 只能是 open 或 closed（可用逗号分隔）")
        if statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    return render(fmt, "service_requests", [_request(a, index) for a in qs[:MAX_RESULTS]])


def _client(key: str) -> ApiClient:
    if not key:
        raise Open311Error(403, "缺少 api_key，无法提交诉求")
    client = ApiClient.objects.filter(key_hash=hash_api_key(key), is_active=True).first()
    if client is None:
        raise Open311Error(403, "api_key 无效或已停用")
    return client


def _coordinate(raw: str, name: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not -limit <= value <= limit:
        raise Open311Error(400, f"{name} 须为有效的经纬度数值")
    return value


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    client = _client((data.get("api_key") or request.GET.get("api_key") or "").strip())
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "缺少 service_code")
    category = _service_categories().filter(service_code=code).first()
    if category is None:
        raise Open311Error(400, f"service_code 不存在：{code}")

    lat_raw, long_raw = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address_string = (data.get("address_string") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    if bool(lat_raw) != bool(long_raw):
        raise Open311Error(400, "lat 与 long 须同时提供")
    if not (lat_raw or address_string or address_id):
        raise Open311Error(400, "请提供位置：lat 与 long，或 address_string")
    lat = _coordinate(lat_raw, "lat", 90) if lat_raw else None
    long = _coordinate(long_raw, "long", 180) if long_raw else None

    description = (data.get("description") or "").strip()
    if not description:
        raise Open311Error(400, "description：请填写诉求内容")
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise Open311Error(400, "email 格式不正确") from exc
    media_url = (data.get("media_url") or "").strip()

    # The Appeal keeps no coordinates, e-mail or media link: they go into the text staff read.
    extra = [
        f"经纬度：{lat},{long}" if lat is not None else "",
        f"地址编号：{address_id}" if address_id else "",
        f"电子邮箱：{email}" if email else "",
        f"图片链接：{media_url}" if media_url else "",
    ]
    body = "\n".join([description, *(line for line in extra if line)])
    first_line = description.splitlines()[0]
    key = (request.headers.get("Idempotency-Key") or "").strip()
    try:
        appeal, query_code = appeal_services.register_appeal(
            channel=client.channel,
            appeal_type=AppealType.HELP,
            title=first_line[:100],
            category=category,
            body=body,
            contact_name=f"{data.get('last_name') or ''}{data.get('first_name') or ''}".strip(),
            contact_phone=(data.get("phone") or "").strip(),
            address=address_string
            or (f"经纬度 {lat},{long}" if lat is not None else f"地址编号 {address_id}"),
            by=Actor.system(f"Open311 接口登记（{client.name}）"),
            idempotency_key=f"c{client.pk}:{key}"[:100] if key else None,
        )
    except DomainError as exc:
        param = PARAM.get(exc.field or "", exc.field)
        raise Open311Error(
            400 if exc.status == 422 else exc.status, f"{param}：{exc.message}" if param else exc.message
        ) from exc
    if query_code is None:
        notice = f"该诉求此前已受理，工单号 {appeal.number}"
    else:
        notice = f"已受理，工单号 {appeal.number}，查询码 {query_code}。可凭工单号和查询码查询办理进度。"
    return render(
        fmt,
        "service_requests",
        [{"service_request_id": appeal.number, "service_notice": notice, "account_id": None}],
        status=201 if query_code else 200,
    )


@csrf_exempt
@endpoint("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


@endpoint("GET")
def request_detail(request: HttpRequest, *, fmt: str, request_id: str) -> HttpResponse:
    appeal = _public_appeals().filter(number=request_id).first()
    if appeal is None:
        raise Open311Error(404, f"没有找到编号为 {request_id} 的诉求")
    return render(fmt, "service_requests", [_request(appeal, ServiceIndex())])


FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(rf"^discovery{FMT}", discovery, name="discovery"),
    re_path(rf"^services{FMT}", services, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){FMT}", service_definition, name="service"),
    re_path(rf"^requests{FMT}", requests, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+?){FMT}", request_detail, name="request"),
]
