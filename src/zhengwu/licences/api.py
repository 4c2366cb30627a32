"""REST endpoints of e-licences, included under /api/ by zhengwu.api.urls.

The holder (``/api/my/licences/…``): their licences and those of the enterprises they act for,
each one's PDF (logged as a 下载), share links and the use log. The issuing department
(``/api/licences/…``): its licences, 变更, 注销 and 吊销 through the services. What a user may not
see — another holder's, another department's — is 404, never 403; a service's refusal keeps its
status (400 input, 403 not allowed, 409 state) with a Chinese message naming the field."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from zhengwu.appeals.api import AUTHENTICATION, ClientPrincipal
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.errors import InvalidInput

from . import selectors, services
from .forms import unchanged
from .models import Licence, LicenceShare, LicenceState, LicenceUse, UseKind
from .serializers import (
    ChangeInput,
    EndInput,
    LicenceDetailSerializer,
    LicenceSerializer,
    ShareCreatedSerializer,
    ShareInput,
    ShareSerializer,
    UseSerializer,
)
from .staff_views import may_manage_licences
from .views import DOWNLOAD_PURPOSE, pdf_response, search

NOT_FOUND = "没有找到该证照"
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入错误，未保存"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色或部门不允许此操作"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该证照（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="证照当前状态不允许此操作"),
}
READ_ERRORS = {k: ERRORS[k] for k in (401, 403, 404)}
Q_PARAM = OpenApiParameter("q", str, description="证照名称、编号、标识或持证主体")


class IsPerson(permissions.BasePermission):
    """A logged-in person; a channel system's API key does not reach licences."""

    message = "接口客户端不能查看或管理电子证照"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not isinstance(user, ClientPrincipal))


class IsLicenceStaff(IsPerson):
    message = "只有颁发机构的审批人员可以管理电子证照"

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and may_manage_licences(request.user)


class ShareThrottle(UserRateThrottle):
    """A holder grants a few shares a minute at most; a loop does not."""

    scope = "licence_share"
    rate = "30/min"


def _held(request: Request, pk: int) -> Licence:
    found = selectors.held_by(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _issued(request: Request, pk: int) -> Licence:
    found = selectors.issued_by_visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


# ---------------------------------------------------------------------------------------------
# The holder


@extend_schema_view(
    get=extend_schema(
        summary="我的证照",
        description="本人及本人作为经办人的单位持有的电子证照，颁发日期倒序，分页。",
        parameters=[Q_PARAM],
        responses={200: LicenceSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
)
class MyLicenceList(generics.ListAPIView[Licence]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    serializer_class = LicenceSerializer

    def get_queryset(self) -> QuerySet[Licence]:
        return search(selectors.held_by(self.request.user), self.request.query_params.get("q", ""))


@extend_schema(summary="我的证照详情", responses={200: LicenceDetailSerializer, **READ_ERRORS})
class MyLicenceDetail(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, pk: int) -> Response:
        return Response(LicenceDetailSerializer(_held(request, pk)).data)


@extend_schema(
    summary="下载证照 PDF",
    description="下载记入用证记录（持证人下载）。",
    responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF 文件"),
        **READ_ERRORS,
    },
)
class MyLicencePdf(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, pk: int) -> HttpResponse:
        licence = _held(request, pk)
        response = pdf_response(licence)
        user: Any = request.user
        services.log_use(
            licence, kind=UseKind.DOWNLOAD, used_by=user.display_name, purpose=DOWNLOAD_PURPOSE, user=user
        )
        return response


@extend_schema(
    summary="授权用证",
    description="生成授权链接（1–90天），被授权单位凭链接查看证照，每次查看记入用证记录。链接只返回这一次。",
    request=ShareInput,
    responses={
        201: ShareCreatedSerializer,
        **ERRORS,
        429: OpenApiResponse(ErrorSerializer, description="请求过于频繁"),
    },
)
class MyLicenceShareCreate(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    throttle_classes = [ShareThrottle]

    def post(self, request: Request, pk: int) -> Response:
        licence = _held(request, pk)
        given = ShareInput(data=request.data)
        given.is_valid(raise_exception=True)
        share, token = services.grant_share(licence=licence, by=request.user, **given.validated_data)
        body = dict(ShareSerializer(share).data)
        body["url"] = request.build_absolute_uri(reverse("licences:shared", args=[token]))
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(summary="撤销授权", request=None, responses={200: ShareSerializer, **READ_ERRORS})
class MyShareRevoke(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def post(self, request: Request, pk: int) -> Response:
        share = LicenceShare.objects.filter(
            pk=pk, licence__in=selectors.held_by(request.user).values("pk")
        ).first()
        if share is None:
            raise NotFound("没有找到该授权")
        return Response(ShareSerializer(services.revoke_share(share=share, by=request.user)).data)


@extend_schema_view(
    get=extend_schema(summary="用证记录", responses={200: UseSerializer(many=True), **READ_ERRORS})
)
class MyLicenceUses(generics.ListAPIView[LicenceUse]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    serializer_class = UseSerializer

    def get_queryset(self) -> QuerySet[LicenceUse]:
        licence = _held(self.request, self.kwargs["pk"])
        return licence.uses.select_related("application")


# ---------------------------------------------------------------------------------------------
# The issuing department


@extend_schema_view(
    get=extend_schema(
        summary="本部门颁发的电子证照",
        description="后台审批人员看到本部门颁发的，全市角色看到全部。",
        parameters=[
            Q_PARAM,
            OpenApiParameter("licence_type", int, description="证照类型编号"),
            OpenApiParameter("state", str, enum=LicenceState.values, description="状态"),
        ],
        responses={200: LicenceSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
)
class IssuedLicenceList(generics.ListAPIView[Licence]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsLicenceStaff]
    serializer_class = LicenceSerializer

    def get_queryset(self) -> QuerySet[Licence]:
        params = self.request.query_params
        qs = search(selectors.issued_by_visible_to(self.request.user), params.get("q", ""))
        licence_type = params.get("licence_type", "")
        if licence_type:
            if not licence_type.isdigit():
                raise InvalidInput("证照类型编号应为整数", field="licence_type")
            qs = qs.filter(licence_type_id=int(licence_type))
        state = params.get("state", "")
        if state:
            if state not in LicenceState.values:
                raise InvalidInput("状态应为 " + "、".join(LicenceState.values) + " 之一", field="state")
            qs = qs.filter(state=state)
        return qs


@extend_schema(summary="证照详情（颁发机构）", responses={200: LicenceDetailSerializer, **READ_ERRORS})
class IssuedLicenceDetail(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsLicenceStaff]

    def get(self, request: Request, pk: int) -> Response:
        return Response(LicenceDetailSerializer(_issued(request, pk)).data)


@extend_schema(
    summary="变更证照",
    description="生成新版本（版本号加一）并签章，原版本为已变更；返回新版本。",
    request=ChangeInput,
    responses={201: LicenceDetailSerializer, **ERRORS},
)
class IssuedLicenceChange(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsLicenceStaff]

    def post(self, request: Request, pk: int) -> Response:
        licence = _issued(request, pk)
        given = ChangeInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        unknown = sorted(set(data["surface"]) - {s["name"] for s in licence.licence_type.surface_fields})
        if unknown:
            raise InvalidInput(
                f"「{licence.licence_type.name}」没有照面信息项：{'、'.join(unknown)}", field="surface"
            )
        if unchanged(licence, data["surface"], data.get("holder_name", "")):
            raise InvalidInput("照面信息没有变化", field="surface")
        new = services.change(
            licence=licence,
            by=request.user,
            surface=data["surface"],
            reason=data["reason"],
            holder_name=data.get("holder_name", ""),
        )
        return Response(LicenceDetailSerializer(new).data, status=status.HTTP_201_CREATED)


class _End(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsLicenceStaff]
    state = ""

    def post(self, request: Request, pk: int) -> Response:
        licence = _issued(request, pk)
        given = EndInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        ended = services.end(
            licence=licence, by=request.user, state=self.state, reason=data["reason"], on=data.get("on")
        )
        return Response(LicenceDetailSerializer(ended).data)


@extend_schema(summary="注销证照", request=EndInput, responses={200: LicenceDetailSerializer, **ERRORS})
class IssuedLicenceCancel(_End):
    state = LicenceState.CANCELLED


@extend_schema(summary="吊销证照", request=EndInput, responses={200: LicenceDetailSerializer, **ERRORS})
class IssuedLicenceRevoke(_End):
    state = LicenceState.REVOKED


urlpatterns = [
    path("my/licences/", MyLicenceList.as_view(), name="api-my-licence-list"),
    path("my/licences/<int:pk>/", MyLicenceDetail.as_view(), name="api-my-licence-detail"),
    path("my/licences/<int:pk>/pdf/", MyLicencePdf.as_view(), name="api-my-licence-pdf"),
    path("my/licences/<int:pk>/shares/", MyLicenceShareCreate.as_view(), name="api-my-licence-share"),
    path("my/licences/shares/<int:pk>/revoke/", MyShareRevoke.as_view(), name="api-my-share-revoke"),
    path("my/licences/<int:pk>/uses/", MyLicenceUses.as_view(), name="api-my-licence-uses"),
    path("licences/", IssuedLicenceList.as_view(), name="api-licence-list"),
    path("licences/<int:pk>/", IssuedLicenceDetail.as_view(), name="api-licence-detail"),
    path("licences/<int:pk>/change/", IssuedLicenceChange.as_view(), name="api-licence-change"),
    path("licences/<int:pk>/cancel/", IssuedLicenceCancel.as_view(), name="api-licence-cancel"),
    path("licences/<int:pk>/revoke/", IssuedLicenceRevoke.as_view(), name="api-licence-revoke"),
]
