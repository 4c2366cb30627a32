"""注册: a citizen (自然人) or an enterprise's 经办人 (法人) opens an account online. One write per
use case, atomic: the login, the applicant on file (through applications.services.register_applicant,
the one way applicants are registered) and the link between them, or nothing.

The login name is the number itself — the 公民身份号码 for a person, the 统一社会信用代码 for an
enterprise — so it is unique, known to its owner and needs no new name to remember.

An applicant the window registered earlier may already be on file without an account; its
applications become the new account's. Without a real-name check (``LocalRegistry``) knowing a
number is not enough to claim them: the name and the phone number the window recorded must match."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from zhengwu.core.errors import Conflict, InvalidInput
from zhengwu.core.text import strip_control_characters
from zhengwu.core.validators import validate_id_number, validate_uscc
from zhengwu.notifications.services import MOBILE

from . import identity
from .models import Citizen, Enterprise

TAKEN_PERSON = "该身份号码已注册，请直接登录"
TAKEN_ENTERPRISE = "该统一社会信用代码已注册，请直接登录；本单位其他经办人请到窗口添加账号"
MISMATCH_PERSON = "该身份号码已在窗口登记，所填姓名或手机号与登记信息不一致，请核对后重试或到窗口办理"
MISMATCH_ENTERPRISE = (
    "该单位已在窗口登记，所填名称、法定代表人或手机号与登记信息不一致，请核对后重试或到窗口办理"
)
NOT_VERIFIED = "姓名与公民身份号码未通过实名核验，请核对后重试"
UNAVAILABLE = "实名核验服务暂时无法使用，请稍后再试"
ENTERPRISE_CHECK = "本地校验（仅核对统一社会信用代码校验码）"


def _text(value: Any, *, field: str, label: str, max_length: int) -> str:
    text = strip_control_characters(str(value or "")).strip()
    if not text:
        raise InvalidInput(f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过{max_length}个字", field=field)
    return text


def _number(validator: Any, value: str, *, field: str) -> str:
    text = (value or "").strip().upper()
    try:
        validator(text)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc
    return text


def _phone(value: str, *, field: str) -> str:
    text = (value or "").strip().replace(" ", "").replace("-", "")
    if not MOBILE.match(text):
        raise InvalidInput("手机号应为11位数字，以1开头", field=field)
    return text


def _password(password: str, user: Any) -> None:
    try:
        validate_password(password or "", user)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), field="password") from exc


def _new_user(*, username: str, name: str, phone: str, password: str, taken: str) -> Any:
    User = get_user_model()
    user = User(username=username, name=name, phone=phone, is_staff=False, is_active=True)
    _password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same number signing up twice at once
        raise Conflict(taken, field="username") from exc
    return user


@transaction.atomic
def sign_up_person(*, name: str, id_number: str, phone: str, password: str, ip: str | None = None) -> Any:
    """自然人注册: 姓名 + 公民身份号码 + 手机号 + 密码. Refused (409) when the number already has an
    account; the identity service (``IDENTITY_PROVIDER``) is asked whether name and number belong
    together, and its answer is recorded on the account."""
    from zhengwu.applications.services import register_applicant

    name = _text(name, field="name", label="姓名", max_length=50)
    number = _number(validate_id_number, id_number, field="id_number")
    phone = _phone(phone, field="phone")
    User = get_user_model()
    existing = Citizen.objects.select_for_update().filter(id_number=number).first()
    if (existing is not None and existing.user_id) or User.objects.filter(username=number).exists():
        raise Conflict(TAKEN_PERSON, field="id_number")
    try:
        verified = identity.get_provider().verify(name, number)
    except identity.IdentityUnavailable as exc:
        raise Conflict(UNAVAILABLE, field="id_number") from exc
    if verified is None:
        raise InvalidInput(NOT_VERIFIED, field="id_number")
    if (
        existing is not None
        and not verified.real_name
        and (existing.name != name or not existing.phone or existing.phone != phone)
    ):
        raise Conflict(MISMATCH_PERSON, field="id_number")
    user = _new_user(username=number, name=name, phone=phone, password=password, taken=TAKEN_PERSON)
    citizen = register_applicant(kind="person", code=number, name=name, phone=phone, by=user)
    assert isinstance(citizen, Citizen)
    citizen.user = user
    try:
        with transaction.atomic():
            citizen.save(update_fields=["user", "updated_at"])
    except IntegrityError as exc:
        raise Conflict(TAKEN_PERSON, field="id_number") from exc
    identity.record(user, verified, ip=ip)
    return user


@transaction.atomic
def sign_up_enterprise(
    *,
    name: str,
    uscc: str,
    legal_representative: str,
    agent_name: str,
    agent_phone: str,
    password: str,
    ip: str | None = None,
) -> Any:
    """法人注册: 名称 + 统一社会信用代码 + 法定代表人 + 经办人姓名和手机号 + 密码. The account is the
    经办人's; the enterprise is registered (or found) and the account becomes one of its users."""
    from zhengwu.applications.services import register_applicant

    name = _text(name, field="name", label="单位名称", max_length=200)
    code = _number(validate_uscc, uscc, field="uscc")
    rep = _text(legal_representative, field="legal_representative", label="法定代表人", max_length=50)
    agent = _text(agent_name, field="agent_name", label="经办人姓名", max_length=50)
    phone = _phone(agent_phone, field="agent_phone")
    User = get_user_model()
    existing = Enterprise.objects.select_for_update().filter(uscc=code).first()
    if (existing is not None and existing.users.exists()) or User.objects.filter(username=code).exists():
        raise Conflict(TAKEN_ENTERPRISE, field="uscc")
    if existing is not None and (
        existing.name != name
        or existing.legal_representative != rep
        or not existing.phone
        or existing.phone != phone
    ):
        raise Conflict(MISMATCH_ENTERPRISE, field="uscc")
    user = _new_user(username=code, name=agent, phone=phone, password=password, taken=TAKEN_ENTERPRISE)
    enterprise = register_applicant(
        kind="organisation", code=code, name=name, phone=phone, legal_representative=rep, by=user
    )
    assert isinstance(enterprise, Enterprise)
    enterprise.users.add(user)
    identity.record(
        user,
        identity.Verified(name=agent, id_number="", real_name=False, provider=ENTERPRISE_CHECK),
        ip=ip,
    )
    return user
