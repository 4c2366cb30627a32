"""The SMS gateway's inbound endpoint: POST /api/sms/inbound/ with ``Authorization: Token
<SMS_INBOUND_TOKEN>`` and a reply (JSON ``{"phone", "text"}`` by default; the adapter is set by
SMS_INBOUND_ADAPTER). 200 rated or opted out, 409 nothing open to rate or already rated, 422 a reply
that is not 1–5 or TD, 403 without the right token (an empty setting refuses every request)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.core.errors import DomainError, InvalidInput, NotAllowed

from . import sms

ERROR = inline_serializer(
    "SmsInboundError", {"detail": serializers.CharField(), "errors": serializers.DictField()}
)


def _authorised(request: Request) -> bool:
    expected = str(getattr(settings, "SMS_INBOUND_TOKEN", "") or "")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not expected or scheme != "Token" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


class SmsInboundView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="sms_inbound",
        tags=["好差评"],
        summary="短信网关回传的评价回复（回复1-5评价，TD退订）",
        request=inline_serializer(
            "SmsInbound", {"phone": serializers.CharField(), "text": serializers.CharField()}
        ),
        responses={
            200: inline_serializer(
                "SmsInboundResult",
                {"action": serializers.CharField(), "detail": serializers.CharField()},
            ),
            403: OpenApiResponse(ERROR, description="令牌不对或未配置"),
            409: OpenApiResponse(ERROR, description="没有待评价的邀评或本轮已评价"),
            422: OpenApiResponse(ERROR, description="回复内容无法识别"),
        },
    )
    def post(self, request: Request) -> Response:
        if not _authorised(request):
            raise NotAllowed("短信回传令牌无效", field="authorization")
        try:
            phone, text = sms.adapter().parse(request.data)
            outcome = sms.receive(phone, text)
        except InvalidInput as exc:
            return Response(
                {"detail": exc.message, "errors": exc.errors}, status=status.HTTP_422_UNPROCESSABLE_ENTITY
            )
        except DomainError as exc:
            return Response({"detail": exc.message, "errors": exc.errors}, status=exc.status)
        return Response({"action": outcome.action, "detail": outcome.message})


urlpatterns = [path("sms/inbound/", SmsInboundView.as_view(), name="sms-inbound")]
