"""REST endpoints of 一件事办件 (bundle applications) and their realised savings, included under
/api/ by zhengwu.api.urls.

As for single applications (api.py): every write calls one service of ``bundles``, so the API
behaves exactly as the pages do — a step the bundle's state does not allow is 409, one the role
may not take 403, input a serializer cannot read 400 (a broken rule 400/422), each with a Chinese
message naming the field and nothing saved; a stale ``version`` is 409. Reads go through
``bundle_selectors.visible_bundles``, so what a user may not see is 404, never 403. Bundle
applications are looked up by their number (YJ-YYYYMMDD-NNNNNN).

The realised savings are public figures: anyone may read them, at the public rate. They live
under /api/bundles/ beside the catalogue's own bundle endpoints (catalog/api.py), on paths that
router does not serve: /api/bundles/{id}/realised-savings/ and /api/bundles/realised-savings/
(the latter must be matched before the catalogue's /api/bundles/{id}/, see api/urls.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.api.fields import BIGINT_MAX
from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.catalog.models import Bundle, VersionStatus
from zhengwu.core.errors import InvalidInput, NotAllowed
from zhengwu.core.throttle import client_ip

from . import bundle_selectors, bundles
from .api import NUMBER_PATTERN, NUMBER_RE, ApplicationCursor, FilingThrottle, IsPerson, _applicant_at_window
from .bundle_serializers import (
    BundleAcceptInput,
    BundleApplicationDetailSerializer,
    BundleApplicationListSerializer,
    BundleFilters,
    BundleIntakeResultSerializer,
    BundleOnlineApplyInput,
    BundleRealisedSavingsSerializer,
    BundleWindowIntakeInput,
    PeriodInput,
    RealisedSavingsOverviewSerializer,
    savings_data,
)
from .models import BundleApplication, BundleEvent, BundleState, Notice
from .selectors import sees_all
from .serializers import (
    ApplicationConfirmReceiptInput,
    ApplicationHandOverInput,
    ApplicationPostInput,
    ApplicationReasonInput,
    ApplicationRefuseInput,
    ApplicationVersionInput,
)
from .workflow import P_ACCEPT, P_DELIVER

B = BundleState
NOT_FOUND = "没有找到该一件事办件"
NOTICE_NOT_FOUND = "没有找到该文书"
BUNDLE_NOT_FOUND = "没有找到该一件事"
FILE_KEYS = (("materials.", ""), ("materials[", "]"))  # multipart: a material's files

NUMBER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="一件事办件编号"
)
NOTICE_NUMBER = OpenApiParameter(
    "notice_number", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="文书编号"
)
PERIOD = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="办结日期自（含），YYYY-MM-DD；不填则不限"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="办结日期至（含），YYYY-MM-DD；不填则不限"),
]

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer, description="输入错误（类型、缺少字段或材料、申请表没有的项），未保存"
    ),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色或授权不允许此操作"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该一件事办件（或无权查看）"),
    409: OpenApiResponse(
        ErrorSerializer,
        description="当前状态不允许此操作、一件事定义有冲突或未发布，或已被他人修改（版本号过期）",
    ),
    422: OpenApiResponse(ErrorSerializer, description="违反办理规则，未保存"),
}


class PublicReadThrottle(AnonRateThrottle):
    """Public figures are read by pages and dashboards, not by a loop; counted per address."""

    scope = "public_read"
    rate = "120/min"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)  # the trusted proxy's header only, as for every public limit


# ---------------------------------------------------------------------------------------------
# Reads


def _detail_queryset(user: Any) -> QuerySet[BundleApplication]:
    return bundle_selectors.with_children(bundle_selectors.visible_bundles(user)).prefetch_related(
        Prefetch("events", queryset=BundleEvent.objects.order_by("seq")),
        Prefetch("notices", queryset=Notice.objects.order_by("issued_at", "id")),
    )


def _visible(
    user: Any, number: str, queryset: QuerySet[BundleApplication] | None = None
) -> BundleApplication:
    if not NUMBER_RE.fullmatch(number):  # not a number at all (and never a NUL byte for the database)
        raise NotFound(NOT_FOUND)
    qs = queryset if queryset is not None else bundle_selectors.visible_bundles(user)
    found = qs.filter(number=number).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _sees_contact(user: Any, parent: BundleApplication) -> bool:
    """The applicant's number, phone and address in full: the window, delivery, leaders and the
    applicant (as ``selectors.sees_contact`` for single applications)."""
    if not user.is_staff:
        return bundle_selectors.owned_bundles(user).filter(pk=parent.pk).exists()
    return bool(user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER) or sees_all(user))


@dataclass(frozen=True)
class Step:
    """One action on a bundle application: its label, its input, the service and who may."""

    label: str
    input: type[ApplicationVersionInput]
    call: Callable[[BundleApplication, Any, dict[str, Any]], Any]
    permission: str
    states: tuple[str, ...]
    description: str


def _accept(parent: BundleApplication, by: Any, data: dict[str, Any]) -> Any:
    marks = [bundles.BundleMaterialInput(**dict(m)) for m in data.pop("materials", [])]
    return bundles.accept(bundle_application=parent, by=by, materials=marks, **data)


def _call(name: str) -> Callable[[BundleApplication, Any, dict[str, Any]], Any]:
    def call(parent: BundleApplication, by: Any, data: dict[str, Any]) -> Any:
        return getattr(bundles, name)(bundle_application=parent, by=by, **data)

    return call


STEPS: dict[str, Step] = {
    "accept": Step(
        "受理",
        BundleAcceptInput,
        _accept,
        P_ACCEPT,
        (B.SUBMITTED,),
        "预审通过，整件受理：各事项办件同时送各部门并联办理，有前置事项的等待其办结（时限暂停计算）；"
        "出具一份受理通知书，列出每个事项、部门和承诺办结日期。materials 按材料编号标注（每份材料一次，"
        "网上已上传的可不填），容缺须有承诺和补交期限，关键材料不能容缺。",
    ),
    "refuse": Step(
        "不予受理",
        ApplicationRefuseInput,
        _call("refuse"),
        P_ACCEPT,
        (B.SUBMITTED,),
        "整件不予受理（须写理由），各事项办件一并结束，出具一份不予受理通知书。",
    ),
    "hand_over": Step(
        "窗口出件",
        ApplicationHandOverInput,
        _call("hand_over"),
        P_DELIVER,
        (B.COMPLETED,),
        "各事项均已办结后一次出件：本人凭身份证领取全部结果，或代领凭委托书；出具一份送达回证。",
    ),
    "post": Step(
        "邮寄出件",
        ApplicationPostInput,
        _call("post"),
        P_DELIVER,
        (B.COMPLETED,),
        "全部结果一个邮件寄出（申请时选择邮寄的），EMS 邮件号校验位须正确。",
    ),
    "withdraw": Step(
        "撤回申请",
        ApplicationReasonInput,
        _call("withdraw"),
        P_ACCEPT,
        (B.SUBMITTED, B.IN_PROGRESS),
        "申请人（本人账号）或综合受理窗口为其整件撤回（须写理由）：受理前，或受理后尚无事项作出决定时；"
        "各事项办件一并撤回。已有事项作出决定的为 409。",
    ),
    "confirm_receipt": Step(
        "确认签收",
        ApplicationConfirmReceiptInput,
        _call("confirm_receipt"),
        P_DELIVER,
        (B.POSTED,),
        "邮件已签收，出具送达回证。",
    ),
}


def _path_of(code: str) -> str:
    return code.replace("_", "-")


def available_actions(user: Any, parent: BundleApplication) -> list[dict[str, str]]:
    """What ``user`` can do to ``parent`` now: the role's permission and the bundle's state (the
    services decide, this only offers)."""
    if not user.is_staff:
        owner = user.pk in parent.applicant_user_ids
        return (
            [_offer("withdraw", STEPS["withdraw"], parent)] if owner and bundles.withdrawable(parent) else []
        )
    out = []
    for code, step in STEPS.items():
        if parent.state not in step.states or not user.has_perm(step.permission):
            continue
        if code == "withdraw" and not bundles.withdrawable(parent):
            continue
        if code == "post" and not parent.postal_address:
            continue
        out.append(_offer(code, step, parent))
    return out


def _offer(code: str, step: Step, parent: BundleApplication) -> dict[str, str]:
    return {
        "code": code,
        "label": step.label,
        "path": reverse(f"bundle-application-{_path_of(code)}", args=[parent.number]),
    }


def detail_response(request: Request, number: str, *, status_code: int = 200) -> Response:
    user = request.user
    parent = _visible(user, number, _detail_queryset(user))
    context = {
        "request": request,
        "user": user,
        "sees_contact": _sees_contact(user, parent),
        "public_only": not user.is_staff,
        "actions": available_actions(user, parent),
    }
    return Response(BundleApplicationDetailSerializer(parent, context=context).data, status=status_code)


@extend_schema_view(
    get=extend_schema(
        summary="一件事办件列表（仅本人可见的）",
        description=(
            "综合受理窗口、出件窗口和领导看到全部一件事办件，审批人员看到含本部门事项的，代办员看到自己代办的，"
            "申请人只看到自己的。申请人证件号码在列表中脱敏。按申请时间倒序，游标分页。"
        ),
        parameters=[
            OpenApiParameter("state", str, many=True, enum=BundleState.values, description="状态，可多选"),
            OpenApiParameter("bundle", int, description="一件事编号"),
            OpenApiParameter("q", str, description="一件事办件编号（或其一部分）"),
        ],
        responses={
            200: BundleApplicationListSerializer(many=True),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
        },
    ),
    post=extend_schema(
        summary="提交一件事办件（在线办理或窗口受理）",
        description=(
            "综合受理窗口人员：窗口受理（JSON），按证件号码查找申请人（没有则用 applicant_name 等登记），"
            "按材料编号标注一件事材料清单中每份材料的收取情况（容缺须有承诺和补交期限，关键材料不能容缺），"
            "outcome 为受理（一份受理通知书）或不予受理（须写理由）。"
            "申请人账号（multipart/form-data）：bundle 为一件事编号；form_data 为联办申请表（JSON 文本，"
            "每项只填一次，各事项共用）；一件事材料清单中每份材料的文件放在 `materials[<材料编号>]`"
            "（或 `materials.<材料编号>`）下，可重复，多个事项都要的材料只传一次；以单位名义申请时填 enterprise。"
            "提交后待预审。缺少必需材料、申请表没有的项为 400 并指明字段；一件事定义有冲突、未发布或含只能到"
            "窗口办理的事项为 409。请求头 `Idempotency-Key` 保证重试不会重复提交：首次 201 并返回办件编号和"
            "查询码，重试 200 返回同一办件（查询码为 null）。"
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="同一次申请在重试时使用相同的值"
            )
        ],
        request={
            "application/json": BundleWindowIntakeInput,
            "multipart/form-data": BundleOnlineApplyInput,
        },
        responses={201: BundleIntakeResultSerializer, 200: BundleIntakeResultSerializer, **ERRORS},
    ),
)
class BundleApplicationListCreateView(generics.GenericAPIView[BundleApplication]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    pagination_class = ApplicationCursor  # keyset on (submitted_at, id), as the applications list
    serializer_class = BundleApplicationListSerializer

    def get_throttles(self) -> list[Any]:
        return [FilingThrottle()] if self.request.method == "POST" else []

    def get_queryset(self) -> QuerySet[BundleApplication]:
        given = BundleFilters(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        f = given.validated_data
        qs = bundle_selectors.visible_bundles(self.request.user).select_related("bundle")
        if f.get("state"):
            qs = qs.filter(state__in=sorted(f["state"]))
        if f.get("bundle"):
            qs = qs.filter(bundle_id=f["bundle"])
        q = (f.get("q") or "").strip()
        if q:
            qs = qs.filter(number__icontains=q)
        return qs

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = BundleApplicationListSerializer(page, many=True, context={}).data
        return self.get_paginated_response(data)

    def post(self, request: Request) -> Response:
        user = request.user
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 80 or not key.isprintable():
            raise InvalidInput("Idempotency-Key 须为不超过80个字符的可见文本", field="Idempotency-Key")
        scoped = f"u{user.pk}:{key}"[:100] if key else None
        intake = _window_intake(request, scoped) if user.is_staff else _apply_online(request, scoped)
        parent = intake.bundle_application
        body = {
            "number": parent.number,
            "query_code": intake.query_code,
            "state": parent.state,
            "state_name": parent.get_state_display(),
            "version": parent.version,
            "created": intake.query_code is not None,
        }
        return Response(body, status=status.HTTP_201_CREATED if intake.query_code else status.HTTP_200_OK)


def _bundle_to_apply(pk: int, user: Any) -> Bundle:
    found = Bundle.objects.filter(pk=pk).first()
    if found is None or (found.status == VersionStatus.DRAFT and not user.has_perm("catalog.view_bundle")):
        raise serializers.ValidationError({"bundle": [f"没有编号为 {pk} 的一件事"]})
    return found


def _uploads(request: Request) -> dict[int, list[Any]]:
    """Uploaded files under ``materials[<id>]`` or ``materials.<id>``; any other key is named."""
    out: dict[int, list[Any]] = {}
    for name in request.FILES:
        raw = ""
        for opening, closing in FILE_KEYS:
            if name.startswith(opening) and name.endswith(closing):
                raw = name[len(opening) : len(name) - len(closing)]
                break
        if not raw.isdigit() or len(raw) > 18:
            raise InvalidInput("文件须放在 materials[<材料编号>] 下", field=name)
        out.setdefault(int(raw), []).extend(request.FILES.getlist(name))
    return out


def _window_intake(request: Request, key: str | None) -> bundles.BundleIntake:
    if request.FILES:
        raise InvalidInput(
            "窗口受理以 JSON 提交，材料按收取情况标注，不上传文件", field=next(iter(request.FILES))
        )
    given = BundleWindowIntakeInput(data=request.data)
    given.is_valid(raise_exception=True)
    data = dict(given.validated_data)
    user = request.user
    bundle = _bundle_to_apply(data["bundle"], user)
    with transaction.atomic():  # a new applicant is registered only with the bundle application
        if not user.has_perm(P_ACCEPT):
            raise NotAllowed("您的角色不能窗口受理")
        applicant = _applicant_at_window(data, user)
        return bundles.window_intake(
            bundle=bundle,
            by=user,
            applicant=applicant,
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            form_data=data["form_data"],
            materials=[bundles.BundleMaterialInput(**dict(m)) for m in data["materials"]],
            outcome=data["outcome"],
            delivery_method=data["delivery_method"],
            postal_recipient=data["postal_recipient"],
            postal_phone=data["postal_phone"],
            postal_address=data["postal_address"],
            reason=data["reason"],
            idempotency_key=key,
        )


def _apply_online(request: Request, key: str | None) -> bundles.BundleIntake:
    given = BundleOnlineApplyInput(data=request.data)
    given.is_valid(raise_exception=True)
    data = dict(given.validated_data)
    user = cast(User, request.user)  # IsPerson let only a logged-in person through
    bundle = _bundle_to_apply(data["bundle"], user)
    applicant: Citizen | Enterprise | None
    if data["enterprise"]:
        applicant = Enterprise.objects.filter(pk=data["enterprise"], users=user).first()
        if applicant is None:
            raise InvalidInput("您不是该法人的经办人，不能以其名义申请", field="enterprise")
    else:
        applicant = Citizen.objects.filter(user=user).first()
        if applicant is None:
            raise InvalidInput("账号尚未实名认证（没有对应的自然人信息），不能网上申请", field="applicant")
    return bundles.apply_online(
        bundle=bundle,
        by=user,
        applicant=applicant,
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        form_data=data["form_data"],
        uploads=_uploads(request),
        delivery_method=data["delivery_method"],
        postal_recipient=data["postal_recipient"],
        postal_phone=data["postal_phone"],
        postal_address=data["postal_address"],
        idempotency_key=key,
    )


@extend_schema_view(
    get=extend_schema(
        summary="一件事办件详情",
        parameters=[NUMBER],
        description=(
            "状态、受理和承诺办结时间及时限灯；各事项办件（编号、事项、部门、状态、时限灯、前置事项及是否"
            "正在等待）；办理轨迹（申请人只看到公开环节，经办人显示为窗口或系统）；文书（PDF 下载地址）；"
            "本人现在可做的动作。申请人证件号码、电话和邮寄地址只对窗口、出件、领导和申请人本人完整显示。"
        ),
        responses={
            200: BundleApplicationDetailSerializer,
            401: ERRORS[401],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
)
class BundleApplicationDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, number: str) -> Response:
        return detail_response(request, number)


@extend_schema_view(
    get=extend_schema(
        summary="下载一件事文书 PDF",
        parameters=[NUMBER, NOTICE_NUMBER],
        description="一件事的受理通知书、不予受理通知书、送达回证；打印的是出具时的内容。",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF 文件"),
            401: ERRORS[401],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
)
class BundleNoticePdfView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, number: str, notice_number: str) -> HttpResponse:
        parent = _visible(request.user, number)
        notice = None
        if NUMBER_RE.fullmatch(notice_number):
            notice = Notice.objects.filter(bundle_application=parent, number=notice_number).first()
        if notice is None:
            raise NotFound(NOTICE_NOT_FOUND)
        from . import pdf  # drawn only when asked for: reportlab is heavy

        return pdf.response(notice)


# ---------------------------------------------------------------------------------------------
# Actions: one POST each, one service call each


class BundleActionView(APIView):
    """POST one action on the bundle application numbered ``number``; answer it as the user now
    sees it."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    code = ""

    def post(self, request: Request, number: str) -> Response:
        step = STEPS[self.code]
        parent = _visible(request.user, number)
        if request.FILES:
            raise InvalidInput(f"{step.label}不接收文件", field=next(iter(request.FILES)))
        given = step.input(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        step.call(parent, request.user, data)
        return detail_response(request, number)


def _action_view(code: str) -> type[BundleActionView]:
    step = STEPS[code]
    view = type(
        f"Bundle{''.join(p.title() for p in code.split('_'))}View", (BundleActionView,), {"code": code}
    )
    return extend_schema_view(
        post=extend_schema(
            summary=f"一件事{step.label}",
            description=step.description,
            operation_id=f"bundle_applications_{code}",
            parameters=[NUMBER],
            request=step.input,
            responses={200: BundleApplicationDetailSerializer, **ERRORS},
        )
    )(view)


ACTION_VIEWS = {code: _action_view(code) for code in STEPS}


# ---------------------------------------------------------------------------------------------
# Realised savings: public figures


def _period(request: Request) -> tuple[date | None, date | None]:
    given = PeriodInput(data=request.query_params)
    given.is_valid(raise_exception=True)
    return given.validated_data["start"], given.validated_data["end"]


def _public_bundles(user: Any) -> QuerySet[Bundle]:
    qs = Bundle.objects.all()
    if not user.has_perm("catalog.view_bundle"):
        qs = qs.exclude(status=VersionStatus.DRAFT)
    return qs


SAVINGS_DESCRIPTION = (
    "已办结（含已出件）的一件事办件实际节省了多少：办理时间（工作日，一件事从受理到办结，对比各事项从可开始"
    "办理到办结之和）、提交材料（份）、跑动次数、申请人经历的环节，各给出各事项分别办理的合计（items_total）、"
    "一件事实际（bundle）、节省（saved）和节省比例（percent）。期间按办结日期，两端都含；日期格式 YYYY-MM-DD。"
    "公开数据，无需登录。"
)


@extend_schema_view(
    get=extend_schema(
        summary="一件事的实际节省情况",
        description=SAVINGS_DESCRIPTION,
        operation_id="bundle_realised_savings",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="一件事编号"), *PERIOD],
        responses={
            200: BundleRealisedSavingsSerializer,
            400: ERRORS[400],
            404: OpenApiResponse(ErrorSerializer, description="没有找到该一件事"),
            429: OpenApiResponse(ErrorSerializer, description="请求过多，请稍后再试"),
        },
        auth=[],
    )
)
class BundleRealisedSavingsView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicReadThrottle]

    def get(self, request: Request, id: int) -> Response:
        bundle = _public_bundles(request.user).filter(pk=id).first() if 0 < id <= BIGINT_MAX else None
        if bundle is None:
            raise NotFound(BUNDLE_NOT_FOUND)
        start, end = _period(request)
        savings = bundle_selectors.realised_savings(bundle, start=start, end=end)
        body = {
            "bundle": {"id": bundle.pk, "name": bundle.name},
            "start": start,
            "end": end,
            **savings_data(savings),
            "materials_by_licence": bundle_selectors.exempt_by_licence(bundle, start=start, end=end),
        }
        return Response(BundleRealisedSavingsSerializer(body).data)


@extend_schema_view(
    get=extend_schema(
        summary="全部一件事的实际节省情况",
        description=SAVINGS_DESCRIPTION + "返回全部一件事合计，以及期间内有已办结办件的各一件事分别的情况。",
        operation_id="bundles_realised_savings_overview",
        parameters=PERIOD,
        responses={
            200: RealisedSavingsOverviewSerializer,
            400: ERRORS[400],
            429: OpenApiResponse(ErrorSerializer, description="请求过多，请稍后再试"),
        },
        auth=[],
    )
)
class RealisedSavingsOverviewView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicReadThrottle]

    def get(self, request: Request) -> Response:
        start, end = _period(request)
        counted = bundle_selectors.completed(start=start, end=end).values("bundle_id")
        rows = [
            {
                "bundle": {"id": b.pk, "name": b.name},
                **savings_data(bundle_selectors.realised_savings(b, start=start, end=end)),
            }
            for b in _public_bundles(request.user).filter(pk__in=counted).order_by("id")
        ]
        total = bundle_selectors.realised_savings(None, start=start, end=end)
        body = {"start": start, "end": end, **savings_data(total), "bundles": rows}
        return Response(RealisedSavingsOverviewSerializer(body).data)


urlpatterns = [
    # Before the catalogue's router (api/urls.py includes this module first): its /bundles/{pk}/
    # would take "realised-savings" for a pk.
    path("bundles/realised-savings/", RealisedSavingsOverviewView.as_view(), name="bundles-realised-savings"),
    path(
        "bundles/<int:id>/realised-savings/",
        BundleRealisedSavingsView.as_view(),
        name="bundle-realised-savings",
    ),
    path("bundle-applications/", BundleApplicationListCreateView.as_view(), name="bundle-application-list"),
    path(
        "bundle-applications/<str:number>/",
        BundleApplicationDetailView.as_view(),
        name="bundle-application-detail",
    ),
    path(
        "bundle-applications/<str:number>/notices/<str:notice_number>.pdf",
        BundleNoticePdfView.as_view(),
        name="bundle-application-notice-pdf",
    ),
    *(
        path(
            f"bundle-applications/<str:number>/{_path_of(code)}/",
            view.as_view(),
            name=f"bundle-application-{_path_of(code)}",
        )
        for code, view in ACTION_VIEWS.items()
    ),
]
