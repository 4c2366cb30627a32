"""REST endpoints of the hall: appointments (预约) and the queue (取号/叫号), included under /api/
by zhengwu.api.urls; the pages are public_views.py, views.py and queue_views.py.

Every write calls one service of ``services`` (appointments) or ``queue``, so the API refuses
exactly what the pages refuse, with the service's status: bad input 400, a role that may not act
or a window that does not handle the business 403, a full slot, a double check-in or a number in
the wrong state 409, a holiday or a slot out of hours 400 (the service's ``InvalidInput``), each
with a Chinese message naming the field and nothing saved.

Who is who, as on the pages: a citizen books, sees, cancels and rebooks their own appointments
(another's is 404) and takes numbers online; staff with 电话预约 (``hall.book_by_phone``) see their
hall's day list and check appointments in; staff with 叫号 (``hall.call_number``) work their own
window. The kiosk (取号机) needs no login — it acts as the hall's device, limited per address like
the kiosk page (``QUEUE_KIOSK_LIMIT`` numbers in 10 minutes, then 429). Open slots, the hall screen
and the 帮办代办 list are public reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from zhengwu.accounts.models import Citizen
from zhengwu.api.fields import IdField
from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.applications.api import NUMBER_PATTERN, NUMBER_RE
from zhengwu.applications.api import IsPerson as IsPersonOrClient
from zhengwu.casework.actors import Actor
from zhengwu.catalog.api import ErrorSerializer, NamedRefSerializer
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.core.throttle import client_ip
from zhengwu.org.models import Hall, Window, WindowKind

from . import queue, services
from .models import Appointment, AppointmentState, QueueTicket, Slot, TicketSource, TicketState
from .queue_views import THROTTLED, kiosk_takes
from .selectors import day_list, hall_of, owned_by
from .views import NO_HALL

NOT_FOUND = "没有找到该预约"
TICKET_NOT_FOUND = "没有找到该号码"
HALL_NOT_FOUND = "没有找到该大厅"
KIND_HELP = " / ".join(f"{value} {label}" for value, label in WindowKind.choices)
CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, required=True, pattern=NUMBER_PATTERN, description="预约号"
)
HALL_ID = OpenApiParameter("hall_id", int, OpenApiParameter.PATH, required=True, description="大厅编号")
TICKET_ID = OpenApiParameter("pk", int, OpenApiParameter.PATH, required=True, description="排队号编号")
DAY = OpenApiParameter("day", OpenApiTypes.DATE, description="日期，默认今天")
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入错误（缺少字段、非工作日、不在办公时间），未保存"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色不允许，或本窗口不办理该业务"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="已约满、已签到、当前状态不允许此操作"),
    422: OpenApiResponse(ErrorSerializer, description="违反办理规则，未保存"),
}


class IsPerson(IsPersonOrClient):
    """A logged-in person (staff or citizen); a channel system's key does not book or call."""

    message = "接口客户端不能预约或叫号"


class BookingThrottle(UserRateThrottle):
    """Booking and changing is a person's work, a few times a minute at most."""

    scope = "appointment_booking"
    rate = "30/min"


class HasPerm(permissions.BasePermission):
    """A logged-in staff member holding ``perm`` (the page's ``permission_required``)."""

    perm = ""
    message = "您的角色不能使用该功能"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not IsPerson().has_permission(request, view):
            return False
        return bool(user.is_staff and user.has_perm(self.perm))


class CanBookByPhone(HasPerm):
    perm = services.BOOK_PERMISSION
    message = "您的角色不能查看当日预约或为群众签到"


class CanCall(HasPerm):
    perm = queue.CALL_PERMISSION
    message = "您的角色不能叫号"


# ---------------------------------------------------------------------------------------------
# Output


class SlotSerializer(serializers.ModelSerializer[Slot]):
    hall = NamedRefSerializer(read_only=True)
    label = serializers.CharField(read_only=True, help_text="时段，如 2026-06-11 09:00-09:30")  # type: ignore[assignment]  # Field.label: a field named label
    free = serializers.IntegerField(read_only=True, help_text="剩余普通名额")
    priority_free = serializers.IntegerField(read_only=True, help_text="剩余优先名额（长者和特殊群体）")
    window_kind = serializers.CharField(source="plan.window_kind", read_only=True, help_text=KIND_HELP)

    class Meta:
        model = Slot
        fields = ["id", "hall", "starts_at", "ends_at", "label", "free", "priority_free", "window_kind"]
        read_only_fields = fields


class SlotRefSerializer(serializers.ModelSerializer[Slot]):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # Field.label: a field named label

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "label"]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    """An appointment; the phone is whole for its holder and masked in the staff's day list."""

    hall = NamedRefSerializer(read_only=True)
    item = NamedRefSerializer(read_only=True)
    slot = SlotRefSerializer(read_only=True)
    state = serializers.CharField(
        read_only=True, help_text="booked 已预约 / cancelled 已取消 / checked_in 已签到 / no_show 爽约"
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    channel = serializers.CharField(read_only=True, help_text="online 网上预约 / phone 电话预约")
    channel_name = serializers.CharField(source="get_channel_display", read_only=True, help_text="预约渠道")
    contact_phone = serializers.SerializerMethodField(help_text="手机号（当日预约名单中脱敏）")
    ticket = serializers.SerializerMethodField(help_text="签到后取得的排队号")

    class Meta:
        model = Appointment
        fields = [
            "code",
            "hall",
            "item",
            "slot",
            "state",
            "state_name",
            "contact_name",
            "contact_phone",
            "priority",
            "priority_reason",
            "channel",
            "channel_name",
            "created_at",
            "cancelled_at",
            "checked_in_at",
            "ticket",
        ]
        read_only_fields = fields

    def get_contact_phone(self, a: Appointment) -> str:
        return a.masked_phone if self.context.get("masked") else a.contact_phone

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_ticket(self, a: Appointment) -> str | None:
        ticket = getattr(a, "ticket", None) if a.checked_in_at else None
        return ticket.number if ticket is not None else None


class WindowRefSerializer(serializers.ModelSerializer[Window]):
    kind = serializers.CharField(read_only=True, help_text=KIND_HELP)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Window
        fields = ["id", "number", "name", "kind", "kind_name"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer[QueueTicket]):
    hall = NamedRefSerializer(read_only=True)
    item = NamedRefSerializer(read_only=True, allow_null=True)
    window = WindowRefSerializer(read_only=True, allow_null=True, help_text="叫号的窗口")
    window_kind = serializers.CharField(read_only=True, help_text=KIND_HELP)
    window_kind_name = serializers.CharField(source="get_window_kind_display", read_only=True)
    source = serializers.CharField(  # type: ignore[assignment]  # Field.source: a field named source
        read_only=True, help_text="kiosk 现场取号 / online 在线取号 / appointment 预约签到"
    )
    source_name = serializers.CharField(source="get_source_display", read_only=True)
    state = serializers.CharField(
        read_only=True,
        help_text="waiting 等候 / called 已叫号 / serving 办理中 / done 已完成 / missed 过号 / "
        "lapsed 已失效 / transferred 已转移",
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = QueueTicket
        fields = [
            "id",
            "number",
            "hall",
            "day",
            "window_kind",
            "window_kind_name",
            "item",
            "source",
            "source_name",
            "priority",
            "state",
            "state_name",
            "window",
            "issued_at",
            "checked_in_at",
            "estimated_call_at",
            "expires_at",
            "called_at",
            "call_count",
        ]
        read_only_fields = fields


class IssuedTicketSerializer(TicketSerializer):
    ahead = serializers.IntegerField(read_only=True, help_text="前面等候的人数")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "ahead"]
        read_only_fields = fields


class WindowStateSerializer(serializers.Serializer[Any]):
    window = WindowRefSerializer(help_text="本人所在窗口")
    current = TicketSerializer(allow_null=True, help_text="本窗口正在叫或办理的号码；没有则为 null")
    waiting = serializers.IntegerField(help_text="本窗口可叫的等候人数")
    missed = TicketSerializer(many=True, help_text="本窗口今天最近的过号")


class CallSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(help_text="号码")
    state = serializers.CharField(help_text="called 已叫号 / serving 办理中")
    window_number = serializers.CharField(help_text="窗口号")
    window_name = serializers.CharField(help_text="窗口名称")
    called_at = serializers.DateTimeField()


class DisplaySerializer(serializers.Serializer[Any]):
    hall = NamedRefSerializer()
    calls = CallSerializer(many=True, help_text="正在叫的号码，每个窗口一个，最近叫的在前")
    waiting = serializers.IntegerField(help_text="已到场等候的人数")
    now = serializers.DateTimeField()


class FigureSerializer(serializers.Serializer[Any]):
    window = serializers.CharField(help_text="窗口")
    item = serializers.CharField(help_text="事项或业务")
    served = serializers.IntegerField(help_text="叫号数")
    wait_minutes = serializers.FloatField(allow_null=True, help_text="平均等候（分钟）")
    service_minutes = serializers.FloatField(allow_null=True, help_text="平均办理（分钟）")


class FiguresSerializer(serializers.Serializer[Any]):
    hall = NamedRefSerializer()
    day = serializers.DateField()
    rows = FigureSerializer(many=True)


# ---------------------------------------------------------------------------------------------
# Input (types only; the services say what is allowed)


class SlotFilters(serializers.Serializer[Any]):
    hall = IdField(help_text="大厅编号")
    item = IdField(required=False, help_text="事项编号")
    day = serializers.DateField(required=False, help_text="日期")


class BookInput(serializers.Serializer[Any]):
    slot = IdField(help_text="预约时段编号（GET /api/hall/slots/ 中的 id）")
    item = IdField(help_text="事项编号")
    contact_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="手机号，空则用账号的手机号"
    )
    contact_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="电话预约：联系人"
    )
    id_number = serializers.CharField(
        max_length=18,
        required=False,
        allow_blank=True,
        default="",
        help_text="电话预约：预约人身份证号（可空）",
    )
    special_group = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="电话预约：特殊群体类别（优先名额）",
    )


class RebookInput(serializers.Serializer[Any]):
    slot = IdField(help_text="新的预约时段编号（同一大厅）")


class DayFilter(serializers.Serializer[Any]):
    day = serializers.DateField(required=False, help_text="日期，默认今天")


class OnlineTakeInput(serializers.Serializer[Any]):
    hall = IdField(help_text="大厅编号")
    window_kind = serializers.CharField(max_length=20, help_text=KIND_HELP)


class KioskTakeInput(serializers.Serializer[Any]):
    window_kind = serializers.CharField(max_length=20, help_text=KIND_HELP)
    elder = serializers.BooleanField(required=False, default=False, help_text="长者优先（L 号）")
    item = IdField(required=False, allow_null=True, default=None, help_text="事项编号（可空）")


class KioskOnlineInput(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=10, help_text="在线取号的号码，如 W001")


class KioskAppointmentInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=30, help_text="预约号")


class CallInput(serializers.Serializer[Any]):
    number = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text="指定要叫的号码，如 A012；空则叫下一位",
    )


class WindowFilter(serializers.Serializer[Any]):
    missed = serializers.IntegerField(
        required=False, default=5, min_value=0, max_value=50, help_text="列出最近几个过号，默认 5"
    )


class OnlineFilter(serializers.Serializer[Any]):
    day = serializers.DateField(required=False, help_text="只看这一天的取号")


class AppointmentFilter(serializers.Serializer[Any]):
    state = serializers.ChoiceField(
        choices=AppointmentState.choices,
        required=False,
        help_text="booked 已预约 / cancelled 已取消 / checked_in 已签到 / no_show 爽约",
    )


class TransferInput(serializers.Serializer[Any]):
    window_kind = serializers.CharField(max_length=20, help_text=f"转到的业务窗口：{KIND_HELP}")


def _valid(cls: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    given = cls(data=data)
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)


def _hall(pk: int, *, field: str = "hall") -> Hall:
    found = Hall.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(f"没有编号为 {pk} 的大厅", field=field)
    return found


def _item(pk: int | None) -> ServiceItem | None:
    if pk is None:
        return None
    found = ServiceItem.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(f"没有编号为 {pk} 的事项", field="item")
    return found


def _slot(pk: int, hall: Hall | None = None) -> Slot:
    qs = Slot.objects.filter(pk=pk)
    if hall is not None:
        qs = qs.filter(hall=hall)
    found = qs.first()
    if found is None:
        raise InvalidInput("请选择预约时段（没有该时段）", field="slot")
    return found


# ---------------------------------------------------------------------------------------------
# Appointments


def _appointments_of(user: Any) -> QuerySet[Appointment]:
    """The chokepoint: a citizen their own appointments, 电话预约 staff their hall's, nobody else any."""
    if not user.is_staff:
        return owned_by(user)
    hall = hall_of(user)
    if hall is None or not user.has_perm(services.BOOK_PERMISSION):
        return Appointment.objects.none()
    return Appointment.objects.filter(hall=hall).select_related("slot", "item", "hall")


def _appointment(user: Any, code: str) -> Appointment:
    found = None
    if NUMBER_RE.fullmatch(code):
        found = _appointments_of(user).select_related("ticket").filter(code=code).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _appointment_response(request: Request, code: str, status_code: int = 200) -> Response:
    found = _appointment(request.user, code)
    return Response(AppointmentSerializer(found).data, status=status_code)


@extend_schema_view(
    get=extend_schema(
        summary="可预约时段（公开）",
        description="大厅未截止、未约满的时段，按时间排序；可按事项和日期筛选。非工作日和办公时间外没有时段。",
        parameters=[SlotFilters],
        responses={200: SlotSerializer(many=True), 400: ERRORS[400]},
    )
)
class SlotListView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        f = _valid(SlotFilters, request.query_params)
        slots = services.bookable_slots(hall=_hall(f["hall"]), item=_item(f.get("item")), day=f.get("day"))
        return Response(SlotSerializer(slots, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="我的预约",
        description="群众账号本人的预约，最近的在前（最多100条），可按状态筛选。",
        parameters=[AppointmentFilter],
        responses={200: AppointmentSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    ),
    post=extend_schema(
        summary="预约",
        description=(
            "群众账号为本人网上预约（手机号空则用账号的），60周岁及以上优先使用优先名额；"
            "有电话预约权限的工作人员为来电群众预约本大厅的时段（可填身份证号、特殊群体类别）。"
            "约满为 409；非工作日、办公时间外或已截止为 400；近期爽约达到次数暂停网上预约（409）。成功后发送短信。"
        ),
        request=BookInput,
        responses={201: AppointmentSerializer, **ERRORS},
    ),
)
class AppointmentListCreateView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get_throttles(self) -> list[Any]:
        return [BookingThrottle()] if self.request.method == "POST" else []

    def get(self, request: Request) -> Response:
        state = _valid(AppointmentFilter, request.query_params).get("state")
        qs = owned_by(request.user).select_related("ticket")
        if state:
            qs = qs.filter(state=state)
        rows = list(qs[:100])
        return Response(AppointmentSerializer(rows, many=True).data)

    def post(self, request: Request) -> Response:
        data = _valid(BookInput, request.data)
        user = request.user
        citizen = None
        if user.is_staff:
            hall = hall_of(user)
            if hall is None:
                raise Conflict(NO_HALL, field="hall")
            slot = _slot(data["slot"], hall)
            id_number = data["id_number"].strip().upper()
            if id_number:
                citizen = Citizen.objects.filter(id_number=id_number).first()
                if citizen is None:
                    raise InvalidInput("没有找到该身份证号对应的自然人，请核对或留空", field="id_number")
        else:
            slot = _slot(data["slot"])
        item = _item(data["item"])
        assert item is not None
        made = services.book(
            slot=slot,
            item=item,
            by=user,
            citizen=citizen,
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            special_group=data["special_group"],
        )
        return _appointment_response(request, made.code, status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="预约详情",
        description="群众看本人的预约，电话预约工作人员看本大厅的；其他的为 404。",
        parameters=[CODE],
        responses={200: AppointmentSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
    )
)
class AppointmentDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get(self, request: Request, code: str) -> Response:
        return _appointment_response(request, code)


class AppointmentCancelView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    throttle_classes = [BookingThrottle]

    def post(self, request: Request, code: str) -> Response:
        services.cancel(appointment=_appointment(request.user, code), by=request.user)
        return _appointment_response(request, code)


class AppointmentRebookView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    throttle_classes = [BookingThrottle]

    def post(self, request: Request, code: str) -> Response:
        appointment = _appointment(request.user, code)
        data = _valid(RebookInput, request.data)
        services.rebook(appointment=appointment, slot=_slot(data["slot"]), by=request.user)
        return _appointment_response(request, code)


class AppointmentCheckInView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanBookByPhone]

    def post(self, request: Request, code: str) -> Response:
        appointment = _appointment(request.user, code)
        ticket = queue.check_in_appointment(hall=appointment.hall, code=appointment.code, by=request.user)
        return _ticket_response(ticket, status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="当日预约（工作人员）",
        description="本人所在窗口的大厅当天（或 day 指定日期）的全部预约，按时段排序，手机号脱敏。没有分配窗口为 409。",
        parameters=[DAY],
        responses={200: AppointmentSerializer(many=True), **{k: ERRORS[k] for k in (400, 401, 403, 409)}},
    )
)
class DayListView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanBookByPhone]

    def get(self, request: Request) -> Response:
        day = _valid(DayFilter, request.query_params).get("day") or timezone.localdate()
        hall = hall_of(request.user)
        if hall is None:
            raise Conflict(NO_HALL, field="hall")
        rows = day_list(hall, day).select_related("hall", "ticket")
        return Response(AppointmentSerializer(rows, many=True, context={"masked": True}).data)


def _appointment_action(view: type[APIView], code: str, summary: str, description: str, **kw: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            description=description,
            operation_id=f"appointments_{code}",
            parameters=[CODE],
            request=kw.get("request"),
            responses={kw.get("status", 200): kw.get("out", AppointmentSerializer), **ERRORS},
        )
    )(view)


_appointment_action(
    AppointmentCancelView,
    "cancel",
    "取消预约",
    "时段开始前可取消，名额退回；已取消、已签到或时段已开始为 409。",
)
_appointment_action(
    AppointmentRebookView,
    "rebook",
    "改约",
    "改到同一大厅的另一时段，预约号不变；新时段约满为 409，非工作日或已截止为 400。",
    request=RebookInput,
)
_appointment_action(
    AppointmentCheckInView,
    "check_in",
    "预约签到（工作人员）",
    "在当日预约名单上为到场的群众签到并出排队号（Y 号，长者 L 号），与取号机签到排在同一位置；"
    "只能在预约当天签到，重复签到为 409。",
    status=201,
    out=IssuedTicketSerializer,
)


# ---------------------------------------------------------------------------------------------
# Queue


def _ahead(ticket: QueueTicket) -> int:
    return QueueTicket.objects.filter(
        hall_id=ticket.hall_id,
        day=ticket.day,
        state=TicketState.WAITING,
        checked_in_at__isnull=False,
        rank__lte=ticket.rank,
        issued_at__lt=ticket.issued_at,
    ).count()


def _ticket_response(ticket: QueueTicket, status_code: int = 200) -> Response:
    ticket = QueueTicket.objects.select_related("hall", "item", "window").get(pk=ticket.pk)
    data = dict(TicketSerializer(ticket).data)
    if ticket.state == TicketState.WAITING:
        # an online number not yet checked in: everyone of its business waiting now, as its estimate
        data["ahead"] = (
            queue.waiting_ahead(ticket.hall, ticket.window_kind, ticket.day) - 1
            if ticket.checked_in_at is None
            else _ahead(ticket)
        )
    else:
        data["ahead"] = 0
    return Response(data, status=status_code)


@extend_schema_view(
    get=extend_schema(
        summary="我的在线取号",
        description="本人最近的10个在线取号（可按日期）。",
        parameters=[OnlineFilter],
        responses={200: TicketSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    ),
    post=extend_schema(
        summary="在线取号（群众）",
        description=(
            "群众账号在到大厅前取号（W 号），得到预计叫号时间；须在预计叫号时间后30分钟内到取号机签到，"
            "否则失效。同一天同一大厅只能有一个在线取号（409）；不在办公时间为 409。"
        ),
        request=OnlineTakeInput,
        responses={201: IssuedTicketSerializer, **ERRORS},
    ),
)
class OnlineTicketView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    def get_throttles(self) -> list[Any]:
        return [BookingThrottle()] if self.request.method == "POST" else []

    def get(self, request: Request) -> Response:
        day = _valid(OnlineFilter, request.query_params).get("day")
        user: Any = request.user
        qs = QueueTicket.objects.filter(citizen__user=user, source=TicketSource.ONLINE)
        if day is not None:
            qs = qs.filter(day=day)
        rows = qs.select_related("hall", "item", "window").order_by("-issued_at")[:10]
        return Response(TicketSerializer(rows, many=True).data)

    def post(self, request: Request) -> Response:
        data = _valid(OnlineTakeInput, request.data)
        ticket = queue.take_number_online(
            hall=_hall(data["hall"]), window_kind=data["window_kind"], by=request.user
        )
        return _ticket_response(ticket, status.HTTP_201_CREATED)


class KioskView(APIView):
    """The kiosk acts as the hall's device, whoever calls; numbers per address are limited."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]
    input: type[serializers.Serializer[Any]] = KioskTakeInput

    def post(self, request: Request, hall_id: int) -> Response:
        hall = Hall.objects.filter(pk=hall_id).first()
        if hall is None:
            raise NotFound(HALL_NOT_FOUND)
        ip = client_ip(request)
        counter = kiosk_takes()
        if counter.blocked(ip):
            raise Throttled(detail=THROTTLED)
        data = _valid(self.input, request.data)
        ticket = self.perform(hall, data, Actor.device(f"{hall.name}取号机"))
        counter.fail(ip)
        return _ticket_response(ticket, status.HTTP_201_CREATED)

    def perform(self, hall: Hall, data: dict[str, Any], device: Actor) -> QueueTicket:
        return queue.take_number(
            hall=hall,
            window_kind=data["window_kind"],
            elder=data["elder"],
            item=_item(data["item"]),
            by=device,
        )


class KioskOnlineCheckInView(KioskView):
    input = KioskOnlineInput

    def perform(self, hall: Hall, data: dict[str, Any], device: Actor) -> QueueTicket:
        return queue.check_in_online(hall=hall, number=data["number"], by=device)


class KioskAppointmentCheckInView(KioskView):
    input = KioskAppointmentInput

    def perform(self, hall: Hall, data: dict[str, Any], device: Actor) -> QueueTicket:
        return queue.check_in_appointment(hall=hall, code=data["code"], by=device)


def _kiosk(view: type[KioskView], code: str, summary: str, description: str) -> Any:
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            description=f"取号机，无需登录；每个地址10分钟内取号有上限（429）。{description}",
            operation_id=f"queue_kiosk_{code}",
            parameters=[HALL_ID],
            request=view.input,
            responses={
                201: IssuedTicketSerializer,
                400: ERRORS[400],
                404: OpenApiResponse(ErrorSerializer, description="没有找到该大厅"),
                409: ERRORS[409],
                429: OpenApiResponse(ErrorSerializer, description="取号过于频繁"),
            },
        )
    )(view)


_kiosk(
    KioskView,
    "take",
    "现场取号",
    "按业务取号（A 号），长者优先取 L 号；不在办公时间或大厅没有该业务窗口时拒绝。",
)
_kiosk(
    KioskOnlineCheckInView,
    "check_in_online",
    "在线取号签到",
    "输入在线取号的号码签到，之后才会被叫号；重复签到为 409。",
)
_kiosk(
    KioskAppointmentCheckInView,
    "check_in_appointment",
    "预约签到",
    "输入预约号签到并出排队号（Y 号，长者 L 号）；只能在预约当天签到，重复签到为 409。",
)


def _my_window(user: Any) -> Window:
    window = getattr(user, "window", None)
    if window is None:
        raise NotAllowed("您的账号没有分配到大厅窗口，请联系管理员设置“所在窗口”", field="window")
    return window


def _window_state(request: Request, missed_count: int = 5) -> Response:
    window = _my_window(request.user)
    today = timezone.localdate()
    current = (
        QueueTicket.objects.filter(window=window, state__in=(TicketState.CALLED, TicketState.SERVING))
        .select_related("hall", "item", "window")
        .first()
    )
    missed = (
        QueueTicket.objects.filter(window=window, state=TicketState.MISSED, day=today)
        .select_related("hall", "item", "window")
        .order_by("-called_at")[:missed_count]
    )
    data = {
        "window": WindowRefSerializer(window).data,
        "current": TicketSerializer(current).data if current is not None else None,
        "waiting": queue.callable_for(window, today).count(),
        "missed": TicketSerializer(missed, many=True).data,
    }
    return Response(data)


WINDOW_ERRORS = {k: ERRORS[k] for k in (400, 401, 403, 409)}


@extend_schema_view(
    get=extend_schema(
        summary="本窗口叫号面板",
        description="本人所在窗口正在叫或办理的号码、可叫的等候人数和最近的过号。",
        parameters=[WindowFilter],
        responses={200: WindowStateSerializer, **WINDOW_ERRORS},
    )
)
class WindowView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanCall]

    def get(self, request: Request) -> Response:
        return _window_state(request, _valid(WindowFilter, request.query_params)["missed"])


@extend_schema_view(
    post=extend_schema(
        summary="叫号",
        description=(
            "不填 number：按规则叫本窗口可办理的下一位（优先号和预约号在现场号之前，同级按取号时间），"
            "没有等候的号码时 current 为 null。填 number：指定叫一个等候且已到场的号码，本窗口不办理该号码的业务"
            "为 403，号码未签到或不在等候为 409。当前号码未办结或过号时为 409。"
        ),
        request=CallInput,
        responses={200: WindowStateSerializer, **WINDOW_ERRORS},
    )
)
class CallView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanCall]

    def post(self, request: Request) -> Response:
        number = _valid(CallInput, request.data)["number"].strip()
        if number:
            queue.call_number(number=number, by=request.user)
        else:
            queue.call_next(by=request.user)
        return _window_state(request)


class TicketActionView(APIView):
    """recall / skip / start / finish / transfer on a number of the caller's hall; the service
    refuses a number another window called (403) and a number in the wrong state (409)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [CanCall]
    code = ""

    def post(self, request: Request, pk: int) -> Response:
        window = _my_window(request.user)
        ticket = QueueTicket.objects.filter(pk=pk, hall_id=window.hall_id).first()
        if ticket is None:
            raise NotFound(TICKET_NOT_FOUND)
        if self.code == "transfer":
            data = _valid(TransferInput, request.data)
            ticket = queue.transfer(ticket=ticket, window_kind=data["window_kind"], by=request.user)
        else:
            ticket = TICKET_ACTIONS[self.code][0](ticket=ticket, by=request.user)
        return _ticket_response(ticket)


TICKET_ACTIONS: dict[str, tuple[Any, str, str]] = {
    "recall": (queue.recall, "重呼", "再叫一次本窗口叫的号码（含刚过号的）。"),
    "skip": (queue.skip, "过号", "叫号后群众未到窗口。"),
    "start": (queue.start_service, "开始办理", "群众已到窗口，开始办理。"),
    "finish": (queue.finish_service, "办结", "本号码办理完毕。"),
    "transfer": (
        queue.transfer,
        "转移",
        "转到另一种业务窗口，号码不变，在该业务的现场号之前叫号；返回转移后的新号码记录。",
    ),
}


def _ticket_action(code: str) -> type[TicketActionView]:
    _, summary, description = TICKET_ACTIONS[code]
    view = type(f"Ticket{code.title()}View", (TicketActionView,), {"code": code})
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            description=f"{description}只能处理本窗口叫的号码（否则 403），当前状态不允许为 409。",
            operation_id=f"queue_ticket_{code}",
            parameters=[TICKET_ID],
            request=TransferInput if code == "transfer" else None,
            responses={200: IssuedTicketSerializer, **ERRORS},
        )
    )(view)


TICKET_VIEWS = {code: _ticket_action(code) for code in TICKET_ACTIONS}


@extend_schema_view(
    get=extend_schema(
        summary="大厅叫号屏（公开）",
        description="大厅今天正在叫的号码及窗口（每个窗口一个，最近叫的在前）和已到场等候的人数；大厅显示屏每几秒读取一次。",
        parameters=[HALL_ID],
        responses={
            200: DisplaySerializer,
            404: OpenApiResponse(ErrorSerializer, description="没有找到该大厅"),
        },
    )
)
class DisplayView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request, hall_id: int) -> Response:
        hall = Hall.objects.filter(pk=hall_id).first()
        if hall is None:
            raise NotFound(HALL_NOT_FOUND)
        day = timezone.localdate()
        calls = (
            QueueTicket.objects.filter(
                hall=hall, day=day, state__in=(TicketState.CALLED, TicketState.SERVING), window__isnull=False
            )
            .select_related("window")
            .order_by("-called_at", "-pk")
        )
        waiting = QueueTicket.objects.filter(
            hall=hall, day=day, state=TicketState.WAITING, checked_in_at__isnull=False
        ).count()
        data = {
            "hall": {"id": hall.pk, "name": hall.name},
            "calls": [
                {
                    "number": t.number,
                    "state": t.state,
                    "window_number": t.window.number if t.window else "",
                    "window_name": t.window.name if t.window else "",
                    "called_at": t.called_at,
                }
                for t in calls
            ],
            "waiting": waiting,
            "now": timezone.now(),
        }
        return Response(DisplaySerializer(data).data)


@extend_schema_view(
    get=extend_schema(
        summary="等候和办理时长（工作人员）",
        description="本人所在大厅某一天按窗口和事项统计的叫号数、平均等候时长和平均办理时长（分钟）。",
        parameters=[DAY],
        responses={200: FiguresSerializer, **WINDOW_ERRORS},
    )
)
class FiguresView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanCall]

    def get(self, request: Request) -> Response:
        day: date = _valid(DayFilter, request.query_params).get("day") or timezone.localdate()
        hall = hall_of(request.user)
        if hall is None:
            raise Conflict(NO_HALL, field="hall")
        rows = queue.figures(hall, day)
        data = {"hall": {"id": hall.pk, "name": hall.name}, "day": day, "rows": rows}
        return Response(FiguresSerializer(data).data)


urlpatterns = [
    path("hall/slots/", SlotListView.as_view(), name="hall-slot-list"),
    path("hall/appointments/", DayListView.as_view(), name="hall-day-list"),
    path("appointments/", AppointmentListCreateView.as_view(), name="appointment-list"),
    path("appointments/<str:code>/", AppointmentDetailView.as_view(), name="appointment-detail"),
    path("appointments/<str:code>/cancel/", AppointmentCancelView.as_view(), name="appointment-cancel"),
    path("appointments/<str:code>/rebook/", AppointmentRebookView.as_view(), name="appointment-rebook"),
    path("appointments/<str:code>/check-in/", AppointmentCheckInView.as_view(), name="appointment-check-in"),
    path("queue/online/", OnlineTicketView.as_view(), name="queue-online"),
    path("queue/kiosk/<int:hall_id>/take/", KioskView.as_view(), name="queue-kiosk-take"),
    path(
        "queue/kiosk/<int:hall_id>/check-in-online/",
        KioskOnlineCheckInView.as_view(),
        name="queue-kiosk-check-in-online",
    ),
    path(
        "queue/kiosk/<int:hall_id>/check-in-appointment/",
        KioskAppointmentCheckInView.as_view(),
        name="queue-kiosk-check-in-appointment",
    ),
    path("queue/window/", WindowView.as_view(), name="queue-window"),
    path("queue/window/call/", CallView.as_view(), name="queue-call"),
    *(
        path(f"queue/tickets/<int:pk>/{code}/", view.as_view(), name=f"queue-ticket-{code}")
        for code, view in TICKET_VIEWS.items()
    ),
    path("queue/display/<int:hall_id>/", DisplayView.as_view(), name="queue-display"),
    path("queue/figures/", FiguresView.as_view(), name="queue-figures"),
]
