"""Public API of 电子证照核验: verify by 标识, QR text or PDF, and the seals' public keys. No login;
throttled per address, and failures share the web page's lock-out (public_views.VERIFY_FAILURES)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from zhengwu.api.parsers import JSONParser
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.throttle import client_ip

from . import public_views
from .services import OUTCOME_LABELS


class VerifyThrottle(AnonRateThrottle):
    """A verifier scans one licence at a time; a scraper needs thousands."""

    scope = "licence_verify"
    rate = "60/min"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)  # the trusted proxy's header only, as for every lock-out


class KeysThrottle(VerifyThrottle):
    scope = "licence_keys"


class VerifyInput(serializers.Serializer[Any]):
    identifier = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="证照标识")
    qr = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="二维码内容（扫码读出的整段文字）"
    )
    file = serializers.FileField(required=False, help_text="电子证照PDF（multipart，不超过5MB）")


class CheckSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="核验项目")
    ok = serializers.BooleanField(help_text="是否通过")
    detail = serializers.CharField(help_text="说明")


class LicenceSummarySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="证照名称")
    number = serializers.CharField(help_text="证照编号")
    identifier = serializers.CharField(help_text="证照标识")
    version = serializers.IntegerField(help_text="版本号")
    issuer = serializers.CharField(help_text="颁发机构")
    issuer_code = serializers.CharField(help_text="颁发机构统一社会信用代码")
    issued_on = serializers.CharField(help_text="颁发日期")
    valid_from = serializers.CharField(help_text="有效期起始")
    valid_until = serializers.CharField(help_text="有效期截止（或“长期”）")
    holder_name = serializers.CharField(help_text="持证主体（自然人部分隐去，如李*四）")
    holder_code = serializers.CharField(help_text="持证主体代码（身份证号部分隐去）")
    holder_kind = serializers.CharField(help_text="自然人或法人")
    seal = serializers.CharField(help_text="签章印章编码")
    state = serializers.CharField(help_text="证照库中的状态")


class VerificationSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=list(OUTCOME_LABELS), help_text="核验结论")
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        help_text="结论（中文），已变更时含现行版本标识"
    )
    ok = serializers.BooleanField(help_text="是否有效")
    checks = CheckSerializer(many=True)
    licence = LicenceSummarySerializer(allow_null=True)
    current = LicenceSummarySerializer(allow_null=True, help_text="已变更时的现行版本")


class KeySerializer(serializers.Serializer[Any]):
    department = serializers.CharField(help_text="部门名称")
    uscc = serializers.CharField(help_text="部门统一社会信用代码")
    seal_name = serializers.CharField(help_text="印章名称")
    key_id = serializers.CharField(help_text="印章编码（二维码中的k）")
    public_key = serializers.CharField(help_text="SM2公钥（PEM）")
    algorithm = serializers.CharField()
    hash = serializers.CharField()
    user_id = serializers.CharField()
    created_at = serializers.CharField(help_text="启用时间")
    retired_at = serializers.CharField(allow_null=True, help_text="停用时间，现行印章为null")


class KeysSerializer(serializers.Serializer[Any]):
    algorithm = serializers.CharField(help_text="SM2")
    hash = serializers.CharField(help_text="SM3")
    user_id = serializers.CharField(help_text="SM2签名的用户标识")
    statement_format = serializers.DictField(child=serializers.CharField(), help_text="被签名数据的格式")
    keys = KeySerializer(many=True)


@extend_schema(
    summary="核验电子证照",
    description=(
        "公开接口，无须登录。三选一：JSON {identifier}（证照标识）或 {qr}（二维码内容），或 multipart 上传 "
        "file（电子证照PDF）。找到证照并得出结论时 200（有效/已变更/已注销/已吊销/已过期）；签名无效 422，"
        "响应体仍含 outcome 与 checks；输入格式错误 400；标识不存在 404；上传的文件不是本平台证照 422。"
        "每次核验记入持证人的用证记录。"
    ),
    request={
        "application/json": VerifyInput,
        "multipart/form-data": VerifyInput,
    },
    responses={
        200: VerificationSerializer,
        400: OpenApiResponse(
            ErrorSerializer, description="输入格式错误（标识格式或校验位、二维码内容、文件类型或大小）"
        ),
        404: OpenApiResponse(ErrorSerializer, description="证照库中没有该标识"),
        422: OpenApiResponse(
            VerificationSerializer, description="签名无效（或上传的文件不是本平台的电子证照，此时为错误格式）"
        ),
        429: OpenApiResponse(ErrorSerializer, description="失败或请求过多，请稍后再试"),
    },
    examples=[
        OpenApiExample("按标识", value={"identifier": "1.2.156.3005.2.…"}, request_only=True),
        OpenApiExample(
            "按二维码", value={"qr": "https://…/licences/verify/?i=…&k=…&d=…&s=…"}, request_only=True
        ),
    ],
    auth=[],
)
class VerifyView(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [VerifyThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request) -> Response:
        given = VerifyInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        outcome = public_views.verify(
            request=request,
            identifier=data.get("identifier", ""),
            qr=data.get("qr", ""),
            upload=data.get("file"),
        )
        return Response(outcome.as_dict(), status=outcome.status)


@extend_schema(
    summary="各部门电子印章公钥",
    description="公开接口。每枚电子印章（现行与已停用）的SM2公钥、印章编码和被签名数据的格式，供第三方离线验签。",
    responses={200: KeysSerializer},
    auth=[],
)
class KeysView(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [KeysThrottle]

    def get(self, request: Request) -> Response:
        return Response(public_views.keys_document())


urlpatterns = [
    path("licences/verify/", VerifyView.as_view(), name="licence-verify"),
    path("licences/keys/", KeysView.as_view(), name="licence-keys"),
]
