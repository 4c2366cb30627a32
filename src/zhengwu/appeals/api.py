"""REST endpoints of the appeals desk, included under /api/ by zhengwu.api.urls.

Every write calls one service, so the API behaves exactly as the staff pages do: a transition the
table does not allow is 409, an action the role or department may not take is 403, input a
serializer cannot read is 400 and a broken rule 422, each with a Chinese message naming the field
and nothing saved. Reads go through ``selectors.appeals_visible_to``, so what a user may not see is
404, never 403.

Authentication: staff and citizens by session; channel systems (the mobile app, the enterprise
centre, …) with ``Authorization: ApiKey <key>`` of an active ``ApiClient``, which may only file
appeals, on the client's own channel."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied, Throttled
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from zhengwu.accounts.models import Citizen, User
from zhengwu.api.fields import IdField
from zhengwu.casework.actors import Actor
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.throttle import address, client_ip

from . import privacy, selectors, services
from .models import ApiClient, Appeal, AppealEvent, AppealType, Assignment, Channel, Extension, Urgency
from .serializers import (
    AnswerInput,
    AppealCreatedSerializer,
    AppealCreateSerializer,
    AppealDetailSerializer,
    AppealListSerializer,
    CallbackInput,
    DecideExtensionInput,
    DispatchInput,
    ExtensionRequestInput,
    MergeInput,
    NoteInput,
    RedispatchInput,
    ReturnInput,
    SuperviseInput,
    TextInput,
    TrackResultSerializer,
    TriageInput,
    UrgeInput,
    UrgeResultSerializer,
    VersionInput,
    track_result,
)
from .workflow import OPEN_STATES, AppealState

NOT_FOUND = "没有找到该诉求"
TRACK_NOT_FOUND = "工单号或查询码不正确，请核对后重试"
CITIZEN_CHANNELS = (Channel.WEB, Channel.MOBILE)


# ---------------------------------------------------------------------------------------------
# Authentication and permissions


class ClientPrincipal:
    """``request.user`` for a channel system: authenticated, no roles, no department."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None
    department_id = None

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.display_name = client.name

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.client.name


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: ApiKey <key>`` — the key of an active ApiClient."""

    keyword = "ApiKey"

    def authenticate(self, request: Request) -> tuple[ClientPrincipal, ApiClient] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Authorization 请求头格式应为：ApiKey <密钥>")
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise AuthenticationFailed("API 密钥格式不正确") from exc
        try:  # the hash is unique: get(), no ordering to add
            client = ApiClient.objects.get(key_hash=services.hash_api_key(key), is_active=True)
        except ApiClient.DoesNotExist:
            raise AuthenticationFailed("API 密钥无效或已停用") from None
        return ClientPrincipal(client), client

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="zhengwu"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "zhengwu.appeals.api.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "渠道系统的接口密钥：`Authorization: ApiKey <密钥>`（只可登记诉求）",
        }


AUTHENTICATION = [ApiKeyAuthentication, SessionAuthentication]


class IsPerson(permissions.BasePermission):
    """A logged-in person (staff or citizen); an API client may only file appeals."""

    message = "接口客户端只能登记诉求"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return not isinstance(user, ClientPrincipal)


class IsStaff(IsPerson):
    """Actions are the desk's work: staff only (the services then check the role and department)."""

    message = "只有工作人员可以办理诉求"

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and bool(request.user.is_staff)


def _client(request: Request) -> ApiClient | None:
    return request.user.client if isinstance(request.user, ClientPrincipal) else None


def _is_citizen(user: Any) -> bool:
    return not user.is_staff


def _own(user: Any, appeal: Appeal) -> bool:
    return appeal.submitted_by_id == user.pk or (
        appeal.citizen is not None and appeal.citizen.user_id == user.pk
    )


def _context(request: Request, appeal: Appeal, **extra: Any) -> dict[str, Any]:
    """What this user may see of this appeal: a handling department does not see the reporter of
    a confidential appeal; a citizen sees the public timeline only."""
    user = request.user
    return {
        "request": request,
        "user": user,
        "hide_reporter": privacy.is_confidential(appeal)
        and not privacy.sees_all(user)
        and not _own(user, appeal),
        "public_only": _is_citizen(user),
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Reads


def _detail_queryset(user: Any) -> QuerySet[Appeal]:
    events = AppealEvent.objects.select_related("actor__department").order_by("seq")
    assignments = Assignment.objects.select_related("department").prefetch_related("extensions")
    return (
        selectors.appeals_visible_to(user)
        .select_related("citizen", "enterprise", "specialist", "merged_into")
        .prefetch_related(
            Prefetch("assignments", queryset=assignments),
            Prefetch("events", queryset=events),
            "callbacks",
        )
    )


def _visible(user: Any, pk: int, queryset: QuerySet[Appeal] | None = None) -> Appeal:
    try:
        return (queryset if queryset is not None else selectors.appeals_visible_to(user)).get(pk=pk)
    except Appeal.DoesNotExist as exc:
        raise NotFound(NOT_FOUND) from exc


def _detail(
    request: Request, pk: int, serializer: type[AppealDetailSerializer] = AppealDetailSerializer, **extra: Any
) -> Response:
    appeal = _visible(request.user, pk, _detail_queryset(request.user))
    return Response(serializer(appeal, context=_context(request, appeal, **extra)).data)


class AppealCursor(CursorPagination):
    """Keyset pagination on the (created_at, id) index: as fast on page 10,000 as on page 1."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AppealFilters(serializers.Serializer[Any]):
    state = serializers.MultipleChoiceField(choices=AppealState.choices, required=False)
    type = serializers.ChoiceField(choices=AppealType.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    department = IdField(required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入格式错误（类型、缺少字段、长度、电话格式）"),
    401: OpenApiResponse(ErrorSerializer, description="未登录或 API 密钥无效"),
    403: OpenApiResponse(ErrorSerializer, description="角色或部门无权做此操作"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该诉求（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许此操作，或已被他人修改（版本号过期）"),
    422: OpenApiResponse(ErrorSerializer, description="违反办理规则，未保存"),
}


@extend_schema_view(
    get=extend_schema(
        summary="诉求列表（仅本人可见的）",
        parameters=[
            OpenApiParameter("state", str, many=True, enum=AppealState.values, description="状态，可多选"),
            OpenApiParameter("type", str, enum=AppealType.values, description="诉求类型"),
            OpenApiParameter("urgency", str, enum=Urgency.values, description="紧急程度"),
            OpenApiParameter("department", int, description="派给该部门（部门编号）的诉求"),
            OpenApiParameter("overdue", bool, description="true：未办结且已超期"),
        ],
        responses={
            200: AppealListSerializer(many=True),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
        },
    ),
    post=extend_schema(
        summary="登记诉求",
        description=(
            "渠道系统（ApiKey）、受理员或登录的市民（网站、移动端）登记诉求。"
            "请求头 `Idempotency-Key`（或字段 external_id）保证重试不会重复登记："
            "首次 201 并返回工单号和查询码，重试 200 返回同一工单号（查询码为 null）。"
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="同一渠道的同一诉求在重试时使用相同的值",
            )
        ],
        request=AppealCreateSerializer,
        responses={201: AppealCreatedSerializer, 200: AppealCreatedSerializer, **ERRORS},
    ),
)
class AppealListCreateView(generics.GenericAPIView[Appeal]):
    authentication_classes = AUTHENTICATION
    pagination_class = AppealCursor
    serializer_class = AppealListSerializer

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.request.method == "POST":
            return [permissions.IsAuthenticated()]
        return [IsPerson()]

    def get_queryset(self) -> QuerySet[Appeal]:
        given = AppealFilters(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        f = given.validated_data
        qs = selectors.appeals_visible_to(self.request.user)
        if f.get("state"):
            qs = qs.filter(state__in=sorted(f["state"]))
        if f.get("type"):
            qs = qs.filter(appeal_type=f["type"])
        if f.get("urgency"):
            qs = qs.filter(urgency=f["urgency"])
        if f.get("department"):
            qs = qs.filter(
                Exists(Assignment.objects.filter(appeal=OuterRef("pk"), department_id=f["department"]))
            )
        if f.get("overdue") is True:
            qs = qs.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
        elif f.get("overdue") is False:
            qs = qs.exclude(state__in=OPEN_STATES, due_at__lt=timezone.now())
        return qs

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AppealListSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        given = AppealCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        user, client = request.user, _client(request)
        key = (request.headers.get("Idempotency-Key") or data.pop("external_id", "") or "").strip()
        data.pop("external_id", None)
        if client is not None:
            # A channel system is not a person: the system registers on its behalf, naming it.
            data.update(channel=client.channel, by=Actor.system(f"接口客户端“{client.name}”登记"))
            scope = f"c{client.pk}"
        elif user.is_staff:
            if not user.has_perm("appeals.register_appeal"):
                raise PermissionDenied("您的角色不能登记诉求")
            if not data.get("channel"):
                raise serializers.ValidationError({"channel": ["请选择受理渠道"]})
            data["by"] = user
            scope = f"u{user.pk}"
        else:  # a citizen files for themself, on the web or in the app
            channel = data.get("channel") or Channel.WEB
            if channel not in CITIZEN_CHANNELS:
                raise serializers.ValidationError({"channel": ["市民只能通过网站或移动端提交诉求"]})
            data.update(
                channel=channel, by=user, citizen=Citizen.objects.filter(user=cast(User, user)).first()
            )
            scope = f"u{user.pk}"
        if client is not None or not user.is_staff:
            for field in ("citizen", "enterprise"):
                if field in request.data and request.data[field] not in (None, ""):
                    raise serializers.ValidationError({field: ["只有受理员可以指定诉求人"]})
            data.pop("enterprise", None)
            if client is not None:
                data.pop("citizen", None)
        # Scoped per client or user, so one channel's key can never answer with another's appeal.
        appeal, code = services.register_appeal(
            **data, idempotency_key=f"{scope}:{key}"[:100] if key else None
        )
        body = {
            "id": appeal.pk,
            "number": appeal.number,
            "query_code": code,
            "state": appeal.state,
            "version": appeal.version,
            "created": code is not None,
        }
        # Already the documented shape (AppealCreatedSerializer) in plain types: sent as it is.
        return Response(body, status=status.HTTP_201_CREATED if code else status.HTTP_200_OK)


@extend_schema_view(
    get=extend_schema(
        summary="诉求详情",
        description="含派单（期限与时限灯）和轨迹。承办部门查看保密诉求时，诉求人信息为 null；市民只看到公开轨迹。",
        responses={200: AppealDetailSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
)
class AppealDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk)


class TrackThrottle(AnonRateThrottle):
    """Guessing query codes takes many tries; a person needs a few."""

    scope = "appeal_track"
    rate = "30/min"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)  # the trusted proxy's header only, as for every lock-out


class TrackQuery(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=30, help_text="工单号")
    code = serializers.CharField(max_length=20, help_text="查询码")


# Compared against when the number does not exist, so a wrong number costs the same as a wrong code.
_DECOY = Appeal(query_code_hash="0" * 64)


@extend_schema_view(
    get=extend_schema(
        summary="凭工单号和查询码查询办理进度",
        description="公开接口。工单号或查询码不对时一律 404，不透露工单号是否存在。只返回公开轨迹，不含工作人员姓名。",
        parameters=[
            OpenApiParameter("number", str, required=True, description="工单号"),
            OpenApiParameter("code", str, required=True, description="查询码"),
        ],
        responses={
            200: TrackResultSerializer,
            400: ERRORS[400],
            404: ERRORS[404],
            429: OpenApiResponse(ErrorSerializer, description="错误次数或请求过多，请稍后再试"),
        },
        auth=[],
    )
)
class TrackView(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    def get(self, request: Request) -> Response:
        from .public_views import LOCKED, TRACK_FAILURES  # one count of wrong codes, web and API

        given = TrackQuery(data=request.query_params)
        given.is_valid(raise_exception=True)
        number, code = given.validated_data["number"].strip(), given.validated_data["code"]
        ip = client_ip(request)
        if TRACK_FAILURES.blocked(ip):
            raise Throttled(detail=LOCKED)
        events = AppealEvent.objects.select_related("actor__department").order_by("seq")
        appeal = (
            Appeal.objects.filter(number=number).prefetch_related(Prefetch("events", queryset=events)).first()
        )
        matches = services.query_code_matches(appeal or _DECOY, code)
        if appeal is None or not matches:
            TRACK_FAILURES.fail(ip)
            raise NotFound(TRACK_NOT_FOUND)
        return Response(TrackResultSerializer(track_result(appeal)).data)


# ---------------------------------------------------------------------------------------------
# Actions: one POST each, one service call each


class _Action(APIView):
    """POST one action on the object at ``pk``; answer the appeal as the user now sees it."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsStaff]
    input: type[VersionInput] = VersionInput

    def post(self, request: Request, pk: int) -> Response:
        appeal = self.target(request, pk)
        given = self.input(data=request.data)
        self.narrow(given, request)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        extra = self.perform(by=request.user, version=data.pop("version", None), **data) or {}
        return self.respond(request, appeal.pk, extra)

    def target(self, request: Request, pk: int) -> Appeal:
        self.appeal = _visible(request.user, pk)
        return self.appeal

    def narrow(self, given: VersionInput, request: Request) -> None:
        """Scope related-object fields to what the user may see."""

    def perform(self, **kwargs: Any) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def respond(self, request: Request, pk: int, extra: dict[str, Any]) -> Response:
        return _detail(request, pk)


class _AssignmentAction(_Action):
    def target(self, request: Request, pk: int) -> Appeal:
        try:
            self.assignment = Assignment.objects.select_related("appeal", "department").get(pk=pk)
        except Assignment.DoesNotExist as exc:
            raise NotFound("没有找到该派单") from exc
        try:
            return _visible(request.user, self.assignment.appeal_id)
        except NotFound as exc:
            raise NotFound("没有找到该派单") from exc


def _doc(
    summary: str, input: type[VersionInput], response: Any = AppealDetailSerializer, description: str = ""
) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            description=description or None,
            request=input,
            responses={200: response, **ERRORS},
        )
    )


@_doc("研判分类", TriageInput)
class TriageView(_Action):
    input = TriageInput

    def perform(self, **kw: Any) -> None:
        services.triage(appeal=self.appeal, **kw)


@_doc("咨询导办：直接答复并办结", AnswerInput)
class AnswerView(_Action):
    input = AnswerInput

    def perform(self, **kw: Any) -> None:
        services.answer_directly(appeal=self.appeal, **kw)


@_doc("并单：并入原工单", MergeInput)
class MergeView(_Action):
    input = MergeInput

    def narrow(self, given: VersionInput, request: Request) -> None:
        given.fields["into"].queryset = selectors.appeals_visible_to(request.user)  # type: ignore[attr-defined]

    def perform(self, **kw: Any) -> None:
        services.merge(appeal=self.appeal, **kw)


@_doc("派单：一个主办单位和若干协办单位", DispatchInput)
class DispatchView(_Action):
    input = DispatchInput

    def perform(self, **kw: Any) -> None:
        services.dispatch(appeal=self.appeal, **kw)


@_doc("记录办理过程（内部）", TextInput)
class NoteView(_Action):
    input = TextInput

    def perform(self, **kw: Any) -> None:
        services.add_note(appeal=self.appeal, **kw)


@_doc("主办单位提交答复", TextInput)
class ReplyView(_Action):
    input = TextInput

    def perform(self, **kw: Any) -> None:
        services.submit_reply(appeal=self.appeal, **kw)


@_doc("审核通过答复并答复诉求人", VersionInput)
class ApproveReplyView(_Action):
    def perform(self, **kw: Any) -> None:
        services.approve_reply(appeal=self.appeal, **kw)


@_doc("退回答复重新办理", NoteInput)
class ReworkReplyView(_Action):
    input = NoteInput

    def perform(self, **kw: Any) -> None:
        services.rework_reply(appeal=self.appeal, **kw)


@_doc("回访", CallbackInput, description="未解决或不满意时重办；超过重办次数转纪委督办。")
class CallbackView(_Action):
    input = CallbackInput

    def perform(self, **kw: Any) -> None:
        services.record_callback(appeal=self.appeal, **kw)


@_doc("办结（未经满意回访，如多次联系不上）", NoteInput)
class CloseView(_Action):
    input = NoteInput

    def perform(self, **kw: Any) -> None:
        services.close(appeal=self.appeal, **kw)


@_doc("归档", VersionInput)
class ArchiveView(_Action):
    def perform(self, **kw: Any) -> None:
        services.archive(appeal=self.appeal, **kw)


@_doc("督办：向部门发出督办单", SuperviseInput)
class SuperviseView(_Action):
    input = SuperviseInput

    def perform(self, **kw: Any) -> None:
        services.supervise(appeal=self.appeal, **kw)


@_doc("签收派单", VersionInput)
class SignView(_AssignmentAction):
    def perform(self, **kw: Any) -> None:
        services.sign(assignment=self.assignment, **kw)


@_doc("退单（须写理由）", ReturnInput)
class ReturnView(_AssignmentAction):
    input = ReturnInput

    def perform(self, **kw: Any) -> None:
        services.return_assignment(assignment=self.assignment, **kw)


@_doc("改派已退回的派单", RedispatchInput)
class RedispatchView(_AssignmentAction):
    input = RedispatchInput

    def perform(self, **kw: Any) -> None:
        services.redispatch(assignment=self.assignment, **kw)


@_doc("驳回退单（派单异议审核）", NoteInput)
class RejectReturnView(_AssignmentAction):
    input = NoteInput

    def perform(self, **kw: Any) -> None:
        services.reject_return(assignment=self.assignment, **kw)


@_doc("申请延期", ExtensionRequestInput, description="期限只在派单员同意后才改变。")
class RequestExtensionView(_AssignmentAction):
    input = ExtensionRequestInput

    def perform(self, **kw: Any) -> None:
        services.request_extension(assignment=self.assignment, **kw)


@_doc("协办单位提交协办意见", TextInput)
class ContributionView(_AssignmentAction):
    input = TextInput

    def perform(self, **kw: Any) -> None:
        services.submit_contribution(assignment=self.assignment, **kw)


@_doc(
    "催办派单",
    UrgeInput,
    response=UrgeResultSerializer,
    description="同一节点只催办一次；urged 为 false 表示此前已催办。",
)
class UrgeView(_AssignmentAction):
    input = UrgeInput

    def perform(self, **kw: Any) -> dict[str, Any]:
        urged = services.urge(
            assignment=self.assignment,
            threshold=kw["threshold"],
            by=kw["by"],
            version=kw["version"],
            note=kw.get("note") or "",
        )
        return {"urged": urged}

    def respond(self, request: Request, pk: int, extra: dict[str, Any]) -> Response:
        return _detail(request, pk, UrgeResultSerializer, **extra)


@_doc("审核延期申请", DecideExtensionInput)
class DecideExtensionView(_Action):
    input = DecideExtensionInput

    def target(self, request: Request, pk: int) -> Appeal:
        try:
            self.extension = Extension.objects.select_related("assignment__appeal").get(pk=pk)
        except Extension.DoesNotExist as exc:
            raise NotFound("没有找到该延期申请") from exc
        try:
            return _visible(request.user, self.extension.assignment.appeal_id)
        except NotFound as exc:
            raise NotFound("没有找到该延期申请") from exc

    def perform(self, **kw: Any) -> None:
        services.decide_extension(extension=self.extension, **kw)


class RevealedPhoneSerializer(serializers.Serializer[Any]):
    contact_phone = serializers.CharField(help_text="诉求人的完整联系电话")


@extend_schema_view(
    post=extend_schema(
        summary="查看完整号码",
        description=(
            "诉求人的完整联系电话。其他接口只返回脱敏号码（139****5678）。只有主办单位（非保密诉求）和"
            "12345 受理、派单、回访人员可以查看，每次查看都记入审计日志；保密诉求和举报不向承办部门提供。"
        ),
        request=None,
        responses={200: RevealedPhoneSerializer, **ERRORS},
    )
)
class RevealPhoneView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsStaff]

    def post(self, request: Request, pk: int) -> Response:
        appeal = _visible(request.user, pk)
        phone = privacy.reveal_phone(appeal=appeal, by=request.user, ip=address(request))
        return Response({"contact_phone": phone})


urlpatterns = [
    path("appeals/", AppealListCreateView.as_view(), name="appeal-list"),
    path("appeals/track", TrackView.as_view(), name="appeal-track"),
    path("appeals/<int:pk>/", AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/triage", TriageView.as_view(), name="appeal-triage"),
    path("appeals/<int:pk>/answer", AnswerView.as_view(), name="appeal-answer"),
    path("appeals/<int:pk>/merge", MergeView.as_view(), name="appeal-merge"),
    path("appeals/<int:pk>/dispatch", DispatchView.as_view(), name="appeal-dispatch"),
    path("appeals/<int:pk>/note", NoteView.as_view(), name="appeal-note"),
    path("appeals/<int:pk>/reply", ReplyView.as_view(), name="appeal-reply"),
    path("appeals/<int:pk>/approve-reply", ApproveReplyView.as_view(), name="appeal-approve-reply"),
    path("appeals/<int:pk>/rework-reply", ReworkReplyView.as_view(), name="appeal-rework-reply"),
    path("appeals/<int:pk>/callback", CallbackView.as_view(), name="appeal-callback"),
    path("appeals/<int:pk>/close", CloseView.as_view(), name="appeal-close"),
    path("appeals/<int:pk>/archive", ArchiveView.as_view(), name="appeal-archive"),
    path("appeals/<int:pk>/supervise", SuperviseView.as_view(), name="appeal-supervise"),
    path("appeals/<int:pk>/reveal-phone", RevealPhoneView.as_view(), name="appeal-reveal-phone"),
    path("assignments/<int:pk>/sign", SignView.as_view(), name="assignment-sign"),
    path("assignments/<int:pk>/return", ReturnView.as_view(), name="assignment-return"),
    path("assignments/<int:pk>/redispatch", RedispatchView.as_view(), name="assignment-redispatch"),
    path("assignments/<int:pk>/reject-return", RejectReturnView.as_view(), name="assignment-reject-return"),
    path(
        "assignments/<int:pk>/request-extension",
        RequestExtensionView.as_view(),
        name="assignment-request-extension",
    ),
    path("assignments/<int:pk>/contribution", ContributionView.as_view(), name="assignment-contribution"),
    path("assignments/<int:pk>/urge", UrgeView.as_view(), name="assignment-urge"),
    path("extensions/<int:pk>/decide", DecideExtensionView.as_view(), name="extension-decide"),
]
