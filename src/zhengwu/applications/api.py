"""REST endpoints of applications (办件), included under /api/ by zhengwu.api.urls.

Every write calls one service, so the API behaves exactly as the pages do: a step the table does
not allow is 409, one the role or department may not take is 403, input a serializer cannot read
is 400 (a broken rule 400/422), each with a Chinese message naming the field and nothing saved; a
stale ``version`` is 409. Reads go through ``selectors.visible_to`` / ``application_for``, so what
a user may not see — another department's, another applicant's — is 404, never 403. Applications
are looked up by their 办件编号.

Authentication as for appeals: staff and applicants by session. A channel system's API key
(``Authorization: ApiKey``) is recognised but may not touch applications (403)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.appeals.api import AUTHENTICATION, ClientPrincipal
from zhengwu.casework.deadlines import Lights
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import InvalidInput, NotAllowed

from . import selectors, services
from .models import Application, ApplicationEvent, ApplicationMaterial, Notice
from .serializers import (
    ApplicationAcceptInput,
    ApplicationCertifyInput,
    ApplicationCompleteInput,
    ApplicationConfirmReceiptInput,
    ApplicationDecideExtensionInput,
    ApplicationDecisionInput,
    ApplicationDetailSerializer,
    ApplicationEndSpecialInput,
    ApplicationExtensionInput,
    ApplicationFilters,
    ApplicationHandInInput,
    ApplicationHandOverInput,
    ApplicationIntakeResultSerializer,
    ApplicationListSerializer,
    ApplicationNoteInput,
    ApplicationOnlineApplyInput,
    ApplicationPostInput,
    ApplicationReasonInput,
    ApplicationRefuseInput,
    ApplicationRequestSupplementInput,
    ApplicationRequiredNoteInput,
    ApplicationStartSpecialInput,
    ApplicationSupplyInput,
    ApplicationVersionInput,
    ApplicationWindowDecisionInput,
    ApplicationWindowIntakeInput,
)
from .workflow import PAUSED_STATES, RUNNING_STATES, TABLE, ApplicationState

NOT_FOUND = "没有找到该办件"
NOTICE_NOT_FOUND = "没有找到该文书"
FILE_KEY = "materials."  # multipart: files of a material under materials.<id>


# ---------------------------------------------------------------------------------------------
# Permissions


class IsPerson(permissions.BasePermission):
    """A logged-in person (staff or applicant); a channel system's key does not reach applications."""

    message = "接口客户端不能办理或查看办件"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return not isinstance(user, ClientPrincipal)


class FilingThrottle(UserRateThrottle):
    """Filing is a person's work, a few times a minute at most; a loop is not."""

    scope = "application_filing"
    rate = "30/min"


# 办件编号 BJ-20261204-000123, 文书编号 SL-20261204-000007 (casework.numbers.daily_number).
NUMBER_PATTERN = r"^[A-Z]{1,5}-[0-9]{8}-[0-9]{1,12}$"
NUMBER_RE = re.compile(NUMBER_PATTERN[1:-1])
NUMBER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="办件编号"
)
NOTICE_NUMBER = OpenApiParameter(
    "notice_number", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="文书编号"
)

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer, description="输入错误（类型、缺少字段、证件号码校验码、邮件号校验位），未保存"
    ),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色、部门或授权不允许此操作"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该办件（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许此操作，或已被他人修改（版本号过期）"),
    422: OpenApiResponse(ErrorSerializer, description="违反办理规则，未保存"),
}


# ---------------------------------------------------------------------------------------------
# Reads


def _detail_queryset(user: Any) -> QuerySet[Application]:
    return (
        selectors.visible_to(user)
        .select_related("item", "department", "citizen", "enterprise", "delivery")
        .prefetch_related(
            Prefetch("materials", queryset=ApplicationMaterial.objects.prefetch_related("files")),
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("seq")),
            "notices",
            "supplement_requests",
            "special_procedures",
        )
    )


def _visible(user: Any, number: str, queryset: QuerySet[Application] | None = None) -> Application:
    if not NUMBER_RE.fullmatch(number):  # not a number at all (and never a NUL byte for the database)
        raise NotFound(NOT_FOUND)
    found = (queryset if queryset is not None else selectors.visible_to(user)).filter(number=number).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def detail_response(request: Request, number: str, *, status_code: int = 200) -> Response:
    user = request.user
    application = _visible(user, number, _detail_queryset(user))
    context = {
        "request": request,
        "user": user,
        "sees_contact": selectors.sees_contact(user, application),
        "sees_opinions": selectors.sees_opinions(user, application),
        "public_only": not user.is_staff,
        "owner_ids": application.applicant_user_ids,
    }
    return Response(ApplicationDetailSerializer(application, context=context).data, status=status_code)


class ApplicationCursor(CursorPagination):
    """Keyset pagination on the (submitted_at, id) order: as fast on page 10,000 as on page 1."""

    ordering = ("-submitted_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _by_light(qs: QuerySet[Application], light: str, lights: Lights) -> QuerySet[Application]:
    """Applications whose clock runs (or stands, for "paused") with this light now: red past the
    承诺办结时间, yellow within the last working hours (the rule of ``casework.deadlines``)."""
    if light == "paused":
        return qs.filter(state__in=PAUSED_STATES)
    running = qs.filter(state__in=RUNNING_STATES, due_at__isnull=False)
    if light == "red":
        return running.filter(due_at__lt=lights.now)
    near = running.filter(due_at__gte=lights.now, due_at__lte=lights.yellow_until())
    yellow = [
        a.pk
        for a in near.select_related(None).only("pk", "accepted_at", "due_at")
        if lights(a.accepted_at, a.due_at) == "yellow"
    ]
    if light == "yellow":
        return running.filter(pk__in=yellow)
    return running.filter(due_at__gte=lights.now).exclude(pk__in=yellow)


@extend_schema_view(
    get=extend_schema(
        summary="办件列表（仅本人可见的）",
        description=(
            "窗口人员看到全部办件，审批人员只看到本部门的，出件窗口看到待出件及以后的，申请人只看到自己的。"
            "申请人证件号码在列表中脱敏。按申请时间倒序，游标分页。"
        ),
        parameters=[
            OpenApiParameter(
                "state", str, many=True, enum=ApplicationState.values, description="状态，可多选"
            ),
            OpenApiParameter("item", int, description="事项编号"),
            OpenApiParameter("department", int, description="受理部门编号"),
            OpenApiParameter("submitted_from", OpenApiTypes.DATE, description="申请日期自（含）"),
            OpenApiParameter("submitted_to", OpenApiTypes.DATE, description="申请日期至（含）"),
            OpenApiParameter(
                "light",
                str,
                enum=["green", "yellow", "red", "paused"],
                description="计时中的办件按时限灯筛选：green 正常、yellow 临期、red 超期；paused 补正或特别程序中",
            ),
            OpenApiParameter("q", str, description="办件编号、申请人名称或完整的证件号码"),
        ],
        responses={
            200: ApplicationListSerializer(many=True),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
        },
    ),
    post=extend_schema(
        summary="提交办件（网上申请或窗口受理）",
        description=(
            "申请人账号：网上申请（multipart/form-data），申请表 form_data 为 JSON 文本，每项材料的文件放在"
            "`materials.<事项材料编号>` 下（可重复），提交后待预审。"
            "综合受理窗口人员：窗口受理（JSON），按证件号码查找申请人（没有则用 applicant_name 等登记），"
            "标注每项材料的收取情况（容缺须有承诺和补交期限，关键材料不能容缺），outcome 为受理、不予受理或"
            "一次性告知补正（supplement 按事项材料编号列出）。"
            "请求头 `Idempotency-Key` 保证重试不会重复提交：首次 201 并返回办件编号和查询码，重试 200 返回同一"
            "办件（查询码为 null）。"
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="同一次申请在重试时使用相同的值"
            )
        ],
        request={
            "application/json": ApplicationWindowIntakeInput,
            "multipart/form-data": ApplicationOnlineApplyInput,
        },
        responses={201: ApplicationIntakeResultSerializer, 200: ApplicationIntakeResultSerializer, **ERRORS},
    ),
)
class ApplicationListCreateView(generics.GenericAPIView[Application]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    pagination_class = ApplicationCursor
    serializer_class = ApplicationListSerializer

    def get_throttles(self) -> list[Any]:
        return [FilingThrottle()] if self.request.method == "POST" else []

    def get_queryset(self) -> QuerySet[Application]:
        given = ApplicationFilters(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        f = given.validated_data
        qs = selectors.visible_to(self.request.user).select_related("item", "department")
        if f.get("state"):
            qs = qs.filter(state__in=sorted(f["state"]))
        if f.get("item"):
            qs = qs.filter(item_id=f["item"])
        if f.get("department"):
            qs = qs.filter(department_id=f["department"])
        if f.get("submitted_from"):
            qs = qs.filter(submitted_at__gte=_day_start(f["submitted_from"]))
        if f.get("submitted_to"):
            qs = qs.filter(submitted_at__lt=_day_start(f["submitted_to"]) + timedelta(days=1))
        q = (f.get("q") or "").strip()
        if q:
            qs = qs.filter(
                Q(number__icontains=q) | Q(applicant_name__icontains=q) | Q(applicant_code=q.upper())
            )
        if f.get("light"):
            self.lights = Lights()
            qs = _by_light(qs, f["light"], self.lights)
        return qs

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        lights = getattr(self, "lights", None) or Lights()
        data = ApplicationListSerializer(page, many=True, context={"lights": lights}).data
        return self.get_paginated_response(data)

    def post(self, request: Request) -> Response:
        user = request.user
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 80 or not key.isprintable():
            raise InvalidInput("Idempotency-Key 须为不超过80个字符的可见文本", field="Idempotency-Key")
        scoped = f"u{user.pk}:{key}"[:100] if key else None
        intake = _window_intake(request, scoped) if user.is_staff else _apply_online(request, scoped)
        application = intake.application
        body = {
            "number": application.number,
            "query_code": intake.query_code,
            "state": application.state,
            "state_name": application.get_state_display(),
            "version": application.version,
            "created": intake.query_code is not None,
        }
        return Response(body, status=status.HTTP_201_CREATED if intake.query_code else status.HTTP_200_OK)


def _item(pk: int) -> ServiceItem:
    found = ServiceItem.objects.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({"item": [f"没有编号为 {pk} 的事项"]})
    return found


def _marks(rows: list[dict[str, Any]]) -> list[services.MaterialInput]:
    return [services.MaterialInput(**row) for row in rows]


def _files_by_id(request: Request) -> dict[int, list[Any]]:
    """Uploaded files under ``materials.<id>``; any other file key is named as an error."""
    out: dict[int, list[Any]] = {}
    for name in request.FILES:
        raw = name[len(FILE_KEY) :] if name.startswith(FILE_KEY) else ""
        if not raw.isdigit() or len(raw) > 18:
            raise InvalidInput("文件须放在 materials.<材料编号> 下", field=name)
        out[int(raw)] = list(request.FILES.getlist(name))
    return out


def _applicant_at_window(data: dict[str, Any], by: Any) -> Citizen | Enterprise:
    """The applicant on file for the number, or registered now (in the intake's transaction)."""
    code = data["applicant_code"]
    try:
        found = services.find_applicant(code)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="applicant_code") from exc
    if found is not None:
        return found
    if not data["applicant_name"].strip():
        raise InvalidInput("没有该证件号码的申请人，请填写申请人名称以登记", field="applicant_name")
    kind = data["applicant_kind"] or ("person" if code.strip()[:17].isdigit() else "organisation")
    try:
        return services.register_applicant(
            kind=kind,
            code=code,
            name=data["applicant_name"],
            phone=data["contact_phone"],
            legal_representative=data["legal_representative"],
            by=by,
        )
    except InvalidInput as exc:
        if exc.field in ("id_number", "uscc"):
            raise InvalidInput(exc.message, field="applicant_code") from exc
        raise


def _window_intake(request: Request, key: str | None) -> services.Intake:
    given = ApplicationWindowIntakeInput(data=request.data)
    given.is_valid(raise_exception=True)
    data = dict(given.validated_data)
    item = _item(data["item"])
    user = request.user
    with transaction.atomic():  # a new applicant is registered only with the application
        if not user.has_perm("applications.accept_application"):
            raise NotAllowed("您的角色不能窗口受理")
        applicant = _applicant_at_window(data, user)
        return services.window_intake(
            item=item,
            by=user,
            applicant=applicant,
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            form_data=data["form_data"],
            materials=_marks(data["materials"]),
            outcome=data["outcome"],
            delivery_method=data["delivery_method"],
            postal_recipient=data["postal_recipient"],
            postal_phone=data["postal_phone"],
            postal_address=data["postal_address"],
            reason=data["reason"],
            remedy=data["remedy"],
            supplement=[dict(e) for e in data["supplement"]],
            idempotency_key=key,
        )


def _apply_online(request: Request, key: str | None) -> services.Intake:
    given = ApplicationOnlineApplyInput(data=request.data)
    given.is_valid(raise_exception=True)
    data = dict(given.validated_data)
    item = _item(data["item"])
    user = cast(User, request.user)  # IsPerson let only a logged-in person through
    applicant: Citizen | Enterprise | None
    if data["enterprise"]:
        applicant = Enterprise.objects.filter(pk=data["enterprise"], users=user).first()
        if applicant is None:
            raise InvalidInput("您不是该法人的经办人，不能以其名义申请", field="enterprise")
    else:
        applicant = Citizen.objects.filter(user=user).first()
        if applicant is None:
            raise InvalidInput("账号尚未实名认证（没有对应的自然人信息），不能网上申请", field="applicant")
    return services.apply_online(
        item=item,
        by=user,
        applicant=applicant,
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        form_data=data["form_data"],
        uploads=_files_by_id(request),
        delivery_method=data["delivery_method"],
        postal_recipient=data["postal_recipient"],
        postal_phone=data["postal_phone"],
        postal_address=data["postal_address"],
        idempotency_key=key,
    )


@extend_schema_view(
    get=extend_schema(
        summary="办件详情",
        parameters=[NUMBER],
        description=(
            "含材料、文书（PDF 下载地址）、补正告知、特别程序、出件和办理环节，以及本人现在可做的动作。"
            "申请人证件号码、电话和邮寄地址只对窗口、出件、领导和申请人本人完整显示；后台的内部环节"
            "（延长审批等）只对本部门审批人员和领导显示；申请人看到的经办人是部门或窗口。"
        ),
        responses={200: ApplicationDetailSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
)
class ApplicationDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, number: str) -> Response:
        return detail_response(request, number)


@extend_schema_view(
    get=extend_schema(
        summary="下载文书 PDF",
        parameters=[NUMBER, NOTICE_NUMBER],
        description="受理通知书、不予受理通知书、补正材料通知书、决定书、送达回证；打印的是出具时的内容。",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF 文件"),
            401: ERRORS[401],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
)
class NoticePdfView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, number: str, notice_number: str) -> HttpResponse:
        application = _visible(request.user, number)
        notice = None
        if NUMBER_RE.fullmatch(notice_number):
            notice = Notice.objects.filter(application=application, number=notice_number).first()
        if notice is None:
            raise NotFound(NOTICE_NOT_FOUND)
        from . import pdf  # drawn only when asked for: reportlab is heavy

        return pdf.response(notice)


# ---------------------------------------------------------------------------------------------
# Actions: one POST each, one service call each


@dataclass(frozen=True)
class Step:
    """How one action of the table is called: its input and the service with its arguments."""

    input: type[ApplicationVersionInput]
    call: Callable[..., Any]
    description: str = ""
    files: bool = False  # takes uploads under materials.<ApplicationMaterial id>


def _rename(**names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(data: dict[str, Any]) -> dict[str, Any]:
        return {names.get(k, k): v for k, v in data.items()}

    return apply


def _with_marks(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "materials": _marks(data.get("materials") or [])}


def _service(
    name: str, shape: Callable[[dict[str, Any]], dict[str, Any]] = lambda d: d
) -> Callable[..., Any]:
    def call(application: Application, by: Any, data: dict[str, Any]) -> Any:
        return getattr(services, name)(application=application, by=by, **shape(data))

    return call


STEPS: dict[str, Step] = {
    "accept": Step(
        ApplicationAcceptInput,
        _service("accept", _with_marks),
        "预审通过，受理并出具受理通知书。materials 标注每项材料（网上已上传的可不填），容缺须有承诺和补交期限。",
    ),
    "refuse": Step(
        ApplicationRefuseInput, _service("refuse"), "不予受理，出具不予受理通知书（理由和救济途径）。"
    ),
    "request_supplement": Step(
        ApplicationRequestSupplementInput,
        _service("request_supplement", lambda d: {**d, "items": [dict(i) for i in d["items"]]}),
        "一次性告知：列出所有需补正的材料和原因，出具补正材料通知书；已受理的办件暂停计时。",
    ),
    "supply": Step(
        ApplicationSupplyInput,
        _service("supply", _with_marks),
        "提交补正材料：申请人用 multipart 上传（文件放在 materials.<办件材料编号> 下），或窗口按材料标注收取。",
        files=True,
    ),
    "decide_at_window": Step(
        ApplicationWindowDecisionInput,
        _service("decide_at_window"),
        "即办件当场决定并办结；须有该部门的首席代表授权。",
    ),
    "hand_in": Step(ApplicationHandInInput, _service("hand_in"), "补交容缺受理时缺少的材料。"),
    "forward": Step(ApplicationRequiredNoteInput, _service("forward"), "窗口说明后重新提交审查。"),
    "review": Step(ApplicationNoteInput, _service("review"), "本部门审批人员开始审查。"),
    "return_to_window": Step(ApplicationReasonInput, _service("return_to_window"), "退回窗口（须写理由）。"),
    "start_special": Step(
        ApplicationStartSpecialInput,
        _service("start_special"),
        "启动专家评审、听证、现场勘查或公示；暂停计时。",
    ),
    "end_special": Step(
        ApplicationEndSpecialInput, _service("end_special"), "结束特别程序并记录结果；恢复计时。"
    ),
    "request_extension": Step(
        ApplicationExtensionInput,
        _service("request_extension"),
        "申请延长审批；须由本部门另一位审批人员批准。",
    ),
    "decide_extension": Step(
        ApplicationDecideExtensionInput,
        _service("decide_extension", _rename(approved="approve")),
        "批准或不批准待审批的延长申请；批准后承诺办结时间顺延。",
    ),
    "decide": Step(ApplicationDecisionInput, _service("decide"), "作出准予或不予许可的决定，出具决定书。"),
    "complete": Step(ApplicationCompleteInput, _service("complete"), "办结，记录结果文号。"),
    "certify": Step(ApplicationCertifyInput, _service("certify"), "制证（结果为证照的事项，准予许可后）。"),
    "hand_over": Step(
        ApplicationHandOverInput, _service("hand_over"), "窗口出件：本人凭身份证领取，或代领凭委托书。"
    ),
    "post": Step(ApplicationPostInput, _service("post"), "邮寄出件，EMS 邮件号校验位须正确。"),
    "confirm_receipt": Step(ApplicationConfirmReceiptInput, _service("confirm_receipt"), "邮件已签收。"),
    "archive": Step(ApplicationVersionInput, _service("archive"), "归档。"),
    "withdraw": Step(ApplicationReasonInput, _service("withdraw"), "申请人撤回申请（决定前）。"),
}
assert set(STEPS) == set(TABLE.actions), "every action of the table has its endpoint"


class ActionView(APIView):
    """POST one action on the application numbered ``number``; answer it as the user now sees it."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    code = ""

    def post(self, request: Request, number: str) -> Response:
        step = STEPS[self.code]
        application = _visible(request.user, number)
        given = step.input(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        version = data.pop("version", None)
        if step.files:
            data["uploads"] = _files_by_id(request)
        elif request.FILES:
            raise InvalidInput(f"{TABLE[self.code].label}不接收文件", field=next(iter(request.FILES)))
        step.call(application, request.user, {**data, "version": version})
        return detail_response(request, number)


def _action_view(code: str) -> type[ActionView]:
    step = STEPS[code]
    spec = TABLE[code]
    request_body: Any = (
        {"application/json": step.input, "multipart/form-data": step.input} if step.files else step.input
    )
    view = type(f"{''.join(p.title() for p in code.split('_'))}View", (ActionView,), {"code": code})
    return extend_schema_view(
        post=extend_schema(
            summary=spec.label,
            description=step.description or None,
            operation_id=f"applications_action_{code}",
            parameters=[NUMBER],
            request=request_body,
            responses={200: ApplicationDetailSerializer, **ERRORS},
        )
    )(view)


ACTION_VIEWS = {code: _action_view(code) for code in STEPS}


urlpatterns = [
    path("applications/", ApplicationListCreateView.as_view(), name="application-list"),
    path("applications/<str:number>/", ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<str:number>/notices/<str:notice_number>.pdf",
        NoticePdfView.as_view(),
        name="application-notice-pdf",
    ),
    *(
        path(f"applications/<str:number>/actions/{code}/", view.as_view(), name=f"application-{code}")
        for code, view in ACTION_VIEWS.items()
    ),
]
