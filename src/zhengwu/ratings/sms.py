"""Replies to 智能邀评 SMS: a digit 1–5 rates the matter of the phone's latest open invitation
(channel 短信), "TD"/"退订" stops invitations to that phone. The SMS gateway posts each reply to
/api/sms/inbound/; the class that reads the gateway's request is chosen by the dotted path in the
setting SMS_INBOUND_ADAPTER (default: JSON ``{"phone": …, "text": …}``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengwu.core.errors import Conflict, InvalidInput

from . import invitations
from .models import Rating, RatingChannel, RatingOptOut

GARBAGE = "回复内容无法识别，请回复1至5的数字评价（1非常满意…5非常不满意），或回复TD退订"
OPT_OUT_WORDS = {"TD", "退订"}
# Spaces and punctuation a phone keyboard adds around a reply (not a sign: "-1" is no level).
_AROUND = re.compile(r"^(?:[^\w+\-]|_)+|(?:[^\w+\-]|_)+$")


def parse_reply(text: Any) -> tuple[str, int | None]:
    """("rate", level) for a reply of 1 … 5 (full-width digits and surrounding spaces or
    punctuation allowed), ("optout", None) for TD/td/退订; anything else: InvalidInput."""
    if not isinstance(text, str) or len(text) > 50:
        raise InvalidInput(GARBAGE, field="text")
    word = _AROUND.sub("", unicodedata.normalize("NFKC", text)).upper()
    if word in OPT_OUT_WORDS:
        return "optout", None
    if len(word) == 1 and word in "12345":
        return "rate", int(word)
    raise InvalidInput(GARBAGE, field="text")


@dataclass(frozen=True)
class Outcome:
    action: str  # "rated" or "optout"
    message: str
    rating: Rating | None = None
    optout: RatingOptOut | None = None


def receive(phone: str, text: str, at: datetime | None = None) -> Outcome:
    """Take one reply: rate the phone's latest open invitation (sent within 15 days, not yet
    answered) or record the opt-out. Garbage → InvalidInput; no open invitation, or the matter
    already rated this round → Conflict."""
    at = at or timezone.now()
    phone = invitations.normal_phone(phone)
    if not invitations.is_mobile(phone):
        raise InvalidInput("手机号应为11位手机号", field="phone")
    action, level = parse_reply(text)
    if action == "optout":
        optout = invitations.opt_out(phone, source="sms")
        return Outcome("optout", "您已退订评价邀请短信，今后不再向您发送。", optout=optout)
    invitation = invitations.open_invitation(phone, at)
    if invitation is None:
        raise Conflict("没有待您评价的办件（评价邀请已评价或已超过15天）", field="phone")
    rating = invitations.answer(invitation, level=level, channel=RatingChannel.SMS, at=at)
    return Outcome("rated", f"感谢您对办件{invitation.matter_number}的评价！", rating=rating)


# ---------------------------------------------------------------------------------------------
# Inbound adapters
# ---------------------------------------------------------------------------------------------


class JsonInbound:
    """The default adapter: a JSON body ``{"phone": "138…", "text": "1"}``."""

    def parse(self, data: Any) -> tuple[str, str]:
        if not isinstance(data, dict):
            raise InvalidInput("请求体应为JSON对象，含phone和text", field="body")
        phone, text = data.get("phone"), data.get("text")
        if not isinstance(phone, str) or not phone.strip():
            raise InvalidInput("缺少手机号（phone）", field="phone")
        if not isinstance(text, str):
            raise InvalidInput("缺少回复内容（text）", field="text")
        return phone, text


def adapter() -> Any:
    path = getattr(settings, "SMS_INBOUND_ADAPTER", "") or "zhengwu.ratings.sms.JsonInbound"
    return import_string(path)()
