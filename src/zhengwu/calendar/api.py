"""Working-day arithmetic over HTTP, included under /api/ by zhengwu.api.urls. Public reads: the
answers are the same for everyone and disclose nothing.

Times in query strings: ``2026-09-30`` is a date (the start day is not counted, the answer is a
date); ``2026-09-30T09:00:00+08:00`` is a moment (the answer is a moment in +08:00). A moment
without an offset is read as Beijing time. A ``+`` left unescaped in a query string arrives as a
space; that is read back as ``+``."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import DayKind, Source
from .workdays import SHANGHAI, format_days

MAX_DAYS = 3650
_SPACE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class MomentField(serializers.Field):
    """A date or an ISO 8601 moment (see the module docstring). The messages name the field in
    Chinese; the API's error handler adds its parameter name in front."""

    def __init__(self, *, label_zh: str, **kwargs: Any) -> None:
        self.label_zh = label_zh
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data in (serializers.empty, None, ""):
            raise serializers.ValidationError(
                f"请提供{self.label_zh}，如 2026-09-30 或 2026-09-30T09:00:00+08:00"
            )
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> date | datetime:
        text = _SPACE_OFFSET.sub(r"\1+\2", str(data).strip())
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError(
                f"{self.label_zh}“{text[:40]}”无法识别，应为日期（2026-09-30）或带时区的时间（2026-09-30T09:00:00+08:00）"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)

    def to_representation(self, value: date | datetime) -> str:
        return value.isoformat()


def _moment(value: date | datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat() if isinstance(value, datetime) else value.isoformat()


class AddQuery(serializers.Serializer[Any]):
    start = MomentField(label_zh="开始日期")
    days = serializers.DecimalField(
        # Bounded before the value is rounded: 1e30 once overflowed the rounding (a 500).
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(MAX_DAYS),
        error_messages={
            "required": "请提供工作日数，如 3 或 0.5",
            "null": "请提供工作日数，如 3 或 0.5",
            "invalid": "工作日数应为数字，如 3 或 0.5",
            "min_value": "工作日数不能为负数",
            "max_value": f"工作日数不能超过{MAX_DAYS}",
            "max_decimal_places": "工作日数最多保留两位小数",
            "max_digits": f"工作日数应在 0 到 {MAX_DAYS} 之间",
            "max_whole_digits": f"工作日数应在 0 到 {MAX_DAYS} 之间",
            "max_string_length": "工作日数过长",
        },
    )


class BetweenQuery(serializers.Serializer[Any]):
    start = MomentField(label_zh="开始日期")
    end = MomentField(label_zh="结束日期")


class DaysQuery(serializers.Serializer[Any]):
    year = serializers.IntegerField(
        min_value=1,
        max_value=9999,
        error_messages={
            "required": "请提供年度，如 2026",
            "invalid": "年度应为四位数字，如 2026",
            "min_value": "年度应为四位数字，如 2026",
            "max_value": "年度应为四位数字，如 2026",
        },
    )


class AddResult(serializers.Serializer[Any]):
    start = serializers.CharField(help_text="开始日期或时间（时间为北京时间 +08:00）")
    days = serializers.CharField(help_text='工作日数，如 "3"、"0.5"')
    deadline = serializers.CharField(
        help_text="期限：开始为日期时是期限届满之日，开始为时间时是届满时刻（+08:00）"
    )


class BetweenResult(serializers.Serializer[Any]):
    start = serializers.CharField()
    end = serializers.CharField()
    working_days = serializers.CharField(help_text="工作日数，保留至多两位小数；end 早于 start 时为负数")


class SpecialDayOut(serializers.Serializer[Any]):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices, help_text="holiday 节假日 / makeup 调休上班")
    kind_name = serializers.CharField()
    name = serializers.CharField()


# "source" is also an attribute of every DRF field, hence the inline serializer.
DaysResult = inline_serializer(
    "CalendarDaysResult",
    fields={
        "year": serializers.IntegerField(),
        "source": serializers.ChoiceField(
            choices=Source.choices, help_text="chinesecalendar 或 state_council（国务院通知）"
        ),
        "notice_title": serializers.CharField(),
        "notice_number": serializers.CharField(),
        "days": SpecialDayOut(many=True),
    },
)


START = OpenApiParameter(
    "start",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    description="开始日期（2026-09-30，当日不计入）或带时区的时间（2026-09-30T09:00:00+08:00）",
)
ERRORS = {400: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT}


class AddWorkingDaysView(APIView):
    """期限计算：开始日期或时间加若干工作日。"""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="calendar_add",
        summary="加工作日，求期限",
        parameters=[
            START,
            OpenApiParameter(
                "days",
                OpenApiTypes.DECIMAL,
                OpenApiParameter.QUERY,
                required=True,
                description=f"工作日数，0 至 {MAX_DAYS}，最多两位小数；0.5 为半个工作日",
            ),
        ],
        responses={200: AddResult, **ERRORS},
        examples=[
            OpenApiExample(
                "国庆节后",
                value={"start": "2026-09-30", "days": "3", "deadline": "2026-10-10"},
                response_only=True,
            )
        ],
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        query = AddQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, days = query.validated_data["start"], query.validated_data["days"]
        deadline = selectors.get_calendar().add_working_days(start, days)
        return Response({"start": _moment(start), "days": format_days(days), "deadline": _moment(deadline)})


class WorkingDaysBetweenView(APIView):
    """两个日期或时间之间的工作日数。"""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="calendar_between",
        summary="两个日期之间的工作日数",
        parameters=[
            START,
            OpenApiParameter(
                "end",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                description="结束日期或时间，格式同 start；日期指该日结束时",
            ),
        ],
        responses={200: BetweenResult, **ERRORS},
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        query = BetweenQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        value = selectors.get_calendar().working_days_between(start, end)
        return Response({"start": _moment(start), "end": _moment(end), "working_days": format_days(value)})


class SpecialDaysView(APIView):
    """某年度的节假日和调休上班日。"""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="calendar_days",
        summary="年度节假日与调休上班日",
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                required=True,
                description="年度，如 2026；未录入的年度返回 422",
            )
        ],
        responses={200: DaysResult, **ERRORS},
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        query = DaysQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        calendar_year = selectors.get_year(query.validated_data["year"])
        days = [
            {"date": d.date.isoformat(), "kind": d.kind, "kind_name": d.get_kind_display(), "name": d.name}
            for d in calendar_year.special_days.order_by("date")
        ]
        return Response(
            {
                "year": calendar_year.year,
                "source": calendar_year.source,
                "notice_title": calendar_year.notice_title,
                "notice_number": calendar_year.notice_number,
                "days": days,
            }
        )


urlpatterns = [
    path("calendar/add", AddWorkingDaysView.as_view(), name="calendar-add"),
    path("calendar/between", WorkingDaysBetweenView.as_view(), name="calendar-between"),
    path("calendar/days", SpecialDaysView.as_view(), name="calendar-days"),
]
