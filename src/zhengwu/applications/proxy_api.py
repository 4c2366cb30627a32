"""REST endpoints of 帮办代办 (proxy requests and their 委托书), included under /api/ by
zhengwu.api.urls; the pages are proxy_views.py.

Every write calls one of ``proxy_services`` (or ``services.window_intake`` for 代为申请), so the API
refuses exactly what the pages refuse, with the service's status: a role that may not act 403, a
request in the wrong state 409, bad input 400, each with a Chinese message naming the field and
nothing saved. Reads start from :func:`visible_to` — staff as on the pages (``proxy.visible_requests``:
clerks all, an agent the waiting ones and its own, the 出件窗口 the open ones), a citizen or an
enterprise's account the requests it is the principal of — and anything else is 404. Requests are
looked up by their 代办编号 (DB-20261204-000001)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.api.fields import IdField
from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.catalog.api import ErrorSerializer, NamedRefSerializer
from zhengwu.catalog.models import ServiceItem, VersionStatus
from zhengwu.core.errors import DomainError, InvalidInput, NotAllowed
from zhengwu.core.validators import mask_id_number, mask_phone

from . import proxy_services, services
from .api import NUMBER_PATTERN, NUMBER_RE
from .api import IsPerson as IsPersonOrClient
from .models import (
    ApplicantKind,
    Application,
    MaterialStatus,
    ProxyAuthorisation,
    ProxyChannel,
    ProxyGroup,
    ProxyItem,
    ProxyRequest,
    ProxyState,
)
from .proxy import valid_authorisation, visible_requests
from .serializers import FormDataField

NOT_FOUND = "没有找到该帮办代办申请"
GROUP_HELP = " / ".join(f"{value} {label}" for value, label in ProxyGroup.choices)
CHANNEL_HELP = " / ".join(f"{value} {label}" for value, label in ProxyChannel.choices)
NUMBER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="代办编号"
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入错误（缺少字段、证件号码、文件类型），未保存"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色不允许，或不是分派给您的、没有有效委托书"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该帮办代办申请（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许此操作"),
    422: OpenApiResponse(ErrorSerializer, description="违反办理规则，未保存"),
}


class IsPerson(IsPersonOrClient):
    """A logged-in person (staff or citizen); a channel system's key does not reach 帮办代办."""

    message = "接口客户端不能办理或查看帮办代办"


class ProxyThrottle(UserRateThrottle):
    """Registering and recording is a person's work; a loop is not."""

    scope = "proxy_writes"
    rate = "60/min"


# ---------------------------------------------------------------------------------------------
# Reads


def visible_to(user: Any) -> QuerySet[ProxyRequest]:
    """The one chokepoint of the API's reads: staff as on the pages; a citizen the requests made
    for them, an enterprise's 经办人 those made for the enterprise; nobody else any."""
    if user is None or not user.is_authenticated or not isinstance(user, User):
        return ProxyRequest.objects.none()
    if user.is_staff:
        return visible_requests(user)
    return ProxyRequest.objects.select_related("agent", "citizen", "enterprise").filter(
        Q(citizen__user=user) | Q(enterprise__users=user)
    )


def _visible(user: Any, number: str, queryset: QuerySet[ProxyRequest] | None = None) -> ProxyRequest:
    if not NUMBER_RE.fullmatch(number):
        raise NotFound(NOT_FOUND)
    found = (queryset if queryset is not None else visible_to(user)).filter(number=number).distinct().first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


class ProxyAuthorisationSerializer(serializers.ModelSerializer[ProxyAuthorisation]):
    agent = serializers.CharField(
        source="agent.display_name", read_only=True, help_text="受托人（帮办代办员）"
    )
    items = NamedRefSerializer(many=True, read_only=True, help_text="委托事项")
    valid_today = serializers.SerializerMethodField(help_text="今天是否在有效期内")

    class Meta:
        model = ProxyAuthorisation
        fields = [
            "id",
            "agent",
            "items",
            "valid_from",
            "valid_until",
            "valid_today",
            "file_name",
            "content_type",
            "sha256",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_valid_today(self, row: ProxyAuthorisation) -> bool:
        today = self.context.get("today") or timezone.localdate()
        return bool(row.valid_from <= today <= row.valid_until)


class ProxyApplicationSerializer(serializers.ModelSerializer[Application]):
    item = NamedRefSerializer(read_only=True)
    state_name = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Application
        fields = ["number", "item", "state", "state_name", "submitted_at", "closed_at"]
        read_only_fields = fields


class ProxyRequestSerializer(serializers.ModelSerializer[ProxyRequest]):
    """A request as a list shows it: the principal's number and the contact phone masked."""

    state = serializers.CharField(
        read_only=True, help_text="waiting 待分派 / in_progress 办理中 / closed 已办结 / cancelled 已取消"
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    applicant_kind = serializers.CharField(read_only=True, help_text="person 自然人 / organisation 法人")
    group = serializers.CharField(read_only=True, help_text=GROUP_HELP)
    group_name = serializers.CharField(source="get_group_display", read_only=True, help_text="服务对象")
    channel = serializers.CharField(read_only=True, help_text=CHANNEL_HELP)
    channel_name = serializers.CharField(source="get_channel_display", read_only=True, help_text="申请渠道")
    principal_code = serializers.SerializerMethodField(help_text="委托人证件号码（身份证号脱敏）")
    contact_phone = serializers.SerializerMethodField(help_text="联系电话（列表中脱敏）")
    agent = serializers.SerializerMethodField(help_text="帮办代办员；待分派时为 null")
    items = NamedRefSerializer(many=True, read_only=True, help_text="代办事项")

    class Meta:
        model = ProxyRequest
        fields = [
            "number",
            "state",
            "state_name",
            "applicant_kind",
            "principal_name",
            "principal_code",
            "group",
            "group_name",
            "channel",
            "channel_name",
            "contact_name",
            "contact_phone",
            "agent",
            "items",
            "created_at",
            "assigned_at",
            "closed_at",
            "outcome",
        ]
        read_only_fields = fields

    def get_principal_code(self, proxy: ProxyRequest) -> str:
        if proxy.citizen is not None:
            return mask_id_number(proxy.citizen.id_number)
        return proxy.enterprise.uscc if proxy.enterprise is not None else ""

    def get_contact_phone(self, proxy: ProxyRequest) -> str:
        return proxy.contact_phone if self.context.get("full") else mask_phone(proxy.contact_phone)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_agent(self, proxy: ProxyRequest) -> dict[str, Any] | None:
        if proxy.agent is None:
            return None
        return {"id": proxy.agent.pk, "name": proxy.agent.display_name}


class ProxyRequestDetailSerializer(ProxyRequestSerializer):
    """One request in full: its 委托书 (the scan itself stays on the pages), which items a 委托书
    covers today, and the applications filed for it."""

    authorised_items = serializers.SerializerMethodField(help_text="今天有有效委托书的代办事项编号")
    authorisations = ProxyAuthorisationSerializer(many=True, read_only=True)
    applications = ProxyApplicationSerializer(many=True, read_only=True, help_text="代为申请的办件")

    class Meta(ProxyRequestSerializer.Meta):
        fields = [
            *ProxyRequestSerializer.Meta.fields,
            "note",
            "authorised_items",
            "authorisations",
            "applications",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_authorised_items(self, proxy: ProxyRequest) -> list[int]:
        if proxy.agent_id is None:
            return []
        return [
            item.pk
            for item in proxy.items.all()
            if valid_authorisation(proxy, agent_id=proxy.agent_id, item_id=item.pk) is not None
        ]


class ProxyItemSerializer(serializers.ModelSerializer[ProxyItem]):
    item = NamedRefSerializer(read_only=True, help_text="事项")
    department = serializers.CharField(source="item.department.name", read_only=True, help_text="实施部门")

    class Meta:
        model = ProxyItem
        fields = ["item", "department", "order", "note"]
        read_only_fields = fields


def _detail_queryset(user: Any) -> QuerySet[ProxyRequest]:
    return visible_to(user).prefetch_related(
        "items",
        Prefetch(
            "authorisations",
            queryset=ProxyAuthorisation.objects.select_related("agent").prefetch_related("items"),
        ),
        Prefetch(
            "applications", queryset=Application.objects.select_related("item").order_by("submitted_at", "id")
        ),
    )


def detail_response(request: Request, number: str, *, status_code: int = 200) -> Response:
    proxy = _visible(request.user, number, _detail_queryset(request.user))
    data = ProxyRequestDetailSerializer(proxy, context={"request": request, "full": True}).data
    return Response(data, status=status_code)


# ---------------------------------------------------------------------------------------------
# Input (types only; the services say what is allowed)


class ProxyRequestInput(serializers.Serializer[Any]):
    principal_code = serializers.CharField(max_length=18, help_text="委托人公民身份号码或统一社会信用代码")
    principal_kind = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="委托人未登记时：person 自然人 / organisation 法人；空则按号码判断",
    )
    principal_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="委托人未登记时填写"
    )
    legal_representative = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="法人未登记时填写"
    )
    group = serializers.CharField(max_length=20, help_text=f"服务对象：{GROUP_HELP}")
    channel = serializers.CharField(max_length=10, help_text=f"申请渠道：{CHANNEL_HELP}")
    items = serializers.ListField(
        child=IdField(), min_length=1, max_length=50, help_text="代办事项编号（已发布的事项）"
    )
    contact_name = serializers.CharField(max_length=50, help_text="联系人")
    contact_phone = serializers.CharField(max_length=20, help_text="联系电话")
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="备注"
    )


class ProxyItemFilter(serializers.Serializer[Any]):
    department = IdField(required=False, help_text="实施部门编号")


class ProxyAssignInput(serializers.Serializer[Any]):
    agent = IdField(help_text="帮办代办员的用户编号")


class ProxyAuthorisationInput(serializers.Serializer[Any]):
    items = serializers.ListField(
        child=IdField(), min_length=1, max_length=50, help_text="委托事项编号（限本次代办事项）"
    )
    valid_from = serializers.DateField(help_text="生效日期")
    valid_until = serializers.DateField(help_text="截止日期（有效期最长一年，不能已过期）")
    file = serializers.FileField(help_text="委托人签字的委托书扫描件（PDF 或图片，不超过 10 MB）")


class ProxyCloseInput(serializers.Serializer[Any]):
    outcome = serializers.CharField(max_length=500, allow_blank=True, help_text="办结情况")


class ProxyCancelInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=True, help_text="取消原因")


class ProxyFileInput(serializers.Serializer[Any]):
    item = IdField(help_text="代办事项编号（须在本次代办事项中）")
    form_data = FormDataField(required=False, default=dict, help_text="事项申请表：字段名 → 内容")
    received = serializers.ListField(
        child=IdField(), required=False, default=list, max_length=100, help_text="已收取原件的事项材料编号"
    )


class ProxyFileResultSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(help_text="办件编号")
    state = serializers.CharField(help_text="办件状态（待预审）")
    state_name = serializers.CharField()


def _items(ids: list[int], *, field: str = "items") -> list[ServiceItem]:
    """Published items in the order given; an unknown number is named."""
    found = {i.pk: i for i in ServiceItem.objects.filter(pk__in=ids, status=VersionStatus.PUBLISHED)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidInput(f"没有编号为 {missing[0]} 的已发布事项", field=field)
    return [found[pk] for pk in ids]


def _principal(data: dict[str, Any], by: Any) -> Citizen | Enterprise:
    """The principal on file for the number, or registered now (in the request's transaction)."""
    try:
        found = services.find_applicant(data["principal_code"])
        if found is not None:
            return found
        if not data["principal_name"].strip():
            raise InvalidInput("没有该证件号码的委托人，请填写委托人姓名或名称以登记", field="principal_name")
        code = data["principal_code"].strip()
        kind = data["principal_kind"] or ("person" if code[:17].isdigit() else "organisation")
        return services.register_applicant(
            kind=kind,
            code=code,
            name=data["principal_name"],
            phone=data["contact_phone"],
            legal_representative=data["legal_representative"],
            by=by,
        )
    except DomainError as exc:
        if exc.field in ("code", "id_number", "uscc"):
            raise type(exc)(exc.message, field="principal_code") from exc
        if exc.field == "name":
            raise type(exc)(exc.message, field="principal_name") from exc
        raise


# ---------------------------------------------------------------------------------------------
# Views


@extend_schema_view(
    get=extend_schema(
        summary="帮办代办事项清单（公开）",
        description="中心为老年人、残疾人等特殊群体和重点项目企业提供帮办代办的高频事项，无需登录；可按实施部门筛选。",
        parameters=[ProxyItemFilter],
        responses={200: ProxyItemSerializer(many=True)},
    )
)
class ProxyItemListView(generics.ListAPIView[ProxyItem]):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]
    serializer_class = ProxyItemSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ProxyItem]:
        given = ProxyItemFilter(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        qs = ProxyItem.objects.select_related("item", "item__department").order_by("order", "id")
        if given.validated_data.get("department"):
            qs = qs.filter(item__department_id=given.validated_data["department"])
        return qs


@extend_schema_view(
    get=extend_schema(
        summary="帮办代办申请列表（仅本人可见的）",
        description=(
            "综合受理窗口人员看到全部；帮办代办员看到待分派的和自己的；出件窗口看到办理中的；"
            "群众看到以本人（或本单位）为委托人的申请。委托人证件号码和联系电话脱敏。按登记时间倒序分页。"
        ),
        parameters=[
            OpenApiParameter(
                "state",
                str,
                description="状态：waiting 待分派 / in_progress 办理中 / closed 已办结 / cancelled 已取消",
            ),
            OpenApiParameter("mine", bool, description="帮办代办员：只看分派给自己的"),
        ],
        responses={200: ProxyRequestSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    ),
    post=extend_schema(
        summary="登记帮办代办申请",
        description=(
            "帮办代办员或综合受理窗口人员登记：按证件号码查找委托人，未登记的按窗口受理的方式登记"
            "（须填写委托人姓名或名称），选择代办事项、服务对象和申请渠道。登记后待分派。"
        ),
        request=ProxyRequestInput,
        responses={201: ProxyRequestDetailSerializer, **ERRORS},
    ),
)
class ProxyRequestListCreateView(generics.GenericAPIView[ProxyRequest]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    serializer_class = ProxyRequestSerializer

    def get_throttles(self) -> list[Any]:
        return [ProxyThrottle()] if self.request.method == "POST" else []

    def get_queryset(self) -> QuerySet[ProxyRequest]:
        qs = visible_to(self.request.user).prefetch_related("items").order_by("-created_at", "-id")
        state = self.request.query_params.get("state")
        if state:
            if state not in ProxyState.values:
                raise InvalidInput("状态应为 waiting、in_progress、closed 或 cancelled", field="state")
            qs = qs.filter(state=state)
        if self.request.query_params.get("mine") in ("1", "true"):
            qs = qs.filter(agent_id=self.request.user.pk)
        return qs.distinct()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = ProxyRequestSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    def post(self, request: Request) -> Response:
        given = ProxyRequestInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        user = request.user
        if not user.is_staff:
            raise NotAllowed("群众账号不能登记帮办代办申请，请到大厅现场或拨打电话申请帮办代办")
        items = _items(list(dict.fromkeys(data["items"])))
        with transaction.atomic():  # a new principal is registered only with the request
            principal = _principal(data, user)
            made = proxy_services.register_request(
                by=user,
                principal=principal,
                items=items,
                group=data["group"],
                channel=data["channel"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                note=data["note"],
            )
        return detail_response(request, made.number, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="帮办代办申请详情",
        description="含委托书（扫描件在页面下载）、今天有有效委托书的事项和代为申请的办件。看不到的申请为 404。",
        parameters=[NUMBER],
        responses={200: ProxyRequestDetailSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
)
class ProxyRequestDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, number: str) -> Response:
        return detail_response(request, number)


class ProxyActionView(APIView):
    """POST one step on a request the caller can see; answer with the request as it is now."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    throttle_classes = [ProxyThrottle]
    input: type[serializers.Serializer[Any]] | None = None
    created = False

    def post(self, request: Request, number: str) -> Response:
        proxy = _visible(request.user, number)
        data: dict[str, Any] = {}
        if self.input is not None:
            given = self.input(data=request.data)
            given.is_valid(raise_exception=True)
            data = dict(given.validated_data)
        self.perform(proxy, request.user, data)
        return detail_response(
            request, number, status_code=status.HTTP_201_CREATED if self.created else status.HTTP_200_OK
        )

    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError


class ProxyTakeView(ProxyActionView):
    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        return proxy_services.take(request=proxy, by=by)


class ProxyAssignView(ProxyActionView):
    input = ProxyAssignInput

    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        agent = User.objects.filter(pk=data["agent"]).first()
        return proxy_services.assign(request=proxy, agent=agent, by=by)


class ProxyAuthoriseView(ProxyActionView):
    input = ProxyAuthorisationInput
    created = True

    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        return proxy_services.record_authorisation(
            request=proxy,
            by=by,
            items=_items(list(dict.fromkeys(data["items"]))),
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            scan=data["file"],
        )


class ProxyCloseView(ProxyActionView):
    input = ProxyCloseInput

    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        return proxy_services.close(request=proxy, by=by, outcome=data["outcome"])


class ProxyCancelView(ProxyActionView):
    input = ProxyCancelInput

    def perform(self, proxy: ProxyRequest, by: Any, data: dict[str, Any]) -> Any:
        return proxy_services.cancel(request=proxy, by=by, reason=data["reason"])


class ProxyFileView(ProxyActionView):
    """代为申请 one item of the request through the window intake, as on the page."""

    input = ProxyFileInput

    def post(self, request: Request, number: str) -> Response:
        proxy = _visible(request.user, number)
        given = ProxyFileInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        item = proxy.items.filter(pk=data["item"]).first()
        if item is None:
            raise InvalidInput("该事项不在本次帮办代办中", field="item")
        principal = proxy.citizen if proxy.applicant_kind == ApplicantKind.PERSON else proxy.enterprise
        assert principal is not None  # the table's check constraint: one principal
        uses = set(item.item_materials.values_list("pk", flat=True))
        outside = [pk for pk in data["received"] if pk not in uses]
        if outside:
            raise InvalidInput(f"材料编号 {outside[0]} 不是该事项的材料", field="received")
        intake = services.window_intake(
            item=item,
            by=request.user,
            applicant=principal,
            contact_name=proxy.contact_name,
            contact_phone=proxy.contact_phone,
            form_data=data["form_data"],
            materials=[
                services.MaterialInput(pk, MaterialStatus.RECEIVED, originals=1)
                for pk in dict.fromkeys(data["received"])
            ],
            outcome="submit",
            proxy_request=proxy,
        )
        application = intake.application
        body = {
            "number": application.number,
            "state": application.state,
            "state_name": application.get_state_display(),
        }
        return Response(body, status=status.HTTP_201_CREATED)


def _action(view: type[ProxyActionView], code: str, summary: str, description: str) -> type[ProxyActionView]:
    request_body: Any = None
    if view.input is ProxyAuthorisationInput:
        request_body = {"multipart/form-data": ProxyAuthorisationInput}
    elif view.input is not None:
        request_body = view.input
    ok = ProxyFileResultSerializer if view is ProxyFileView else ProxyRequestDetailSerializer
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            description=description,
            operation_id=f"proxy_requests_{code}",
            parameters=[NUMBER],
            request=request_body,
            responses={201 if view.created or view is ProxyFileView else 200: ok, **ERRORS},
        )
    )(view)


ACTIONS = {
    "take": _action(ProxyTakeView, "take", "认领", "帮办代办员认领待分派的申请。已被认领的为 409。"),
    "assign": _action(
        ProxyAssignView, "assign", "分派或改派", "综合受理窗口人员分派（或改派）给一位帮办代办员。"
    ),
    "authorisations": _action(
        ProxyAuthoriseView,
        "authorise",
        "登记委托书",
        "该申请的帮办代办员或窗口人员上传委托书（multipart/form-data）：委托事项（限本次代办事项，可重复 items）、"
        "生效和截止日期（不超过一年，不能已过期）、委托人签字的扫描件（PDF 或图片，按内容校验，不超过 10 MB）。",
    ),
    "applications": _action(
        ProxyFileView,
        "file",
        "代为申请",
        "该申请的帮办代办员为委托人提交一个代办事项，进入综合受理窗口待预审。没有当天有效且委托事项包含该事项的"
        "委托书为 403（字段 authorisation），什么都不保存。",
    ),
    "close": _action(
        ProxyCloseView, "close", "办结", "代办的办件都已结束（出件、不予受理、撤回等）后办结；否则 409。"
    ),
    "cancel": _action(ProxyCancelView, "cancel", "取消", "委托人不再需要；还有在办的办件时为 409。"),
}


urlpatterns = [
    path("proxy-items/", ProxyItemListView.as_view(), name="proxy-item-list"),
    path("proxy-requests/", ProxyRequestListCreateView.as_view(), name="proxy-request-list"),
    path("proxy-requests/<str:number>/", ProxyRequestDetailView.as_view(), name="proxy-request-detail"),
    *(
        path(f"proxy-requests/<str:number>/{code}/", view.as_view(), name=f"proxy-request-{code}")
        for code, view in ACTIONS.items()
    ),
]
