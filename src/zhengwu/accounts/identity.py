"""Real-name verification (实名核验) of applicants who sign up online, behind one small interface.

Verified real-name login belongs to the provincial identity service (省统一身份认证平台); the
platform only asks it one question — do this name and this 公民身份号码 belong together — and
records the answer on the account. ``IDENTITY_PROVIDER`` (a dotted path) chooses the adapter; the
default ``LocalRegistry`` works with no network at all: it checks the number's check digit and
nothing more, so every account it admits is marked 未实名核验. docs/howto/identity.md says how a
province's service plugs in.

The answer is kept in the audit trail (``core.audit``, action ``实名核验``) on the user, not on a
column of its own: who checked, when, with which provider, and whether it was a real-name check."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent
from zhengwu.core.validators import validate_id_number

DEFAULT_PROVIDER = "zhengwu.accounts.identity.LocalRegistry"
AUDIT_ACTION = "实名核验"
VERIFIED_LABEL = "已实名核验"
UNVERIFIED_LABEL = "未实名核验"


@dataclass(frozen=True)
class Verified:
    """What the identity service vouches for. ``real_name`` is True only when a service that
    knows the population register confirmed that the name and the number belong together;
    ``reference`` is the service's own record of the check (for the audit trail)."""

    name: str
    id_number: str
    real_name: bool
    provider: str
    reference: str = ""

    @property
    def label(self) -> str:
        return VERIFIED_LABEL if self.real_name else UNVERIFIED_LABEL


@runtime_checkable
class IdentityProvider(Protocol):
    """One adapter per identity service. ``verify`` answers None when the service says the name
    and number do not belong together (or the number is not a valid one); it raises
    ``IdentityUnavailable`` when the service cannot be asked right now."""

    def verify(self, name: str, id_number: str) -> Verified | None: ...


class IdentityUnavailable(Exception):
    """The identity service did not answer (network, maintenance): sign-up is refused for now,
    never let through unchecked."""


class LocalRegistry:
    """The offline default: a number with a valid check digit and a real birth date and area code
    passes, marked 未实名核验 (nobody compared it with the population register)."""

    name = "本地校验（仅核对身份号码校验码）"

    def verify(self, name: str, id_number: str) -> Verified | None:
        number = (id_number or "").strip().upper()
        try:
            validate_id_number(number)
        except ValidationError:
            return None
        return Verified(name=(name or "").strip(), id_number=number, real_name=False, provider=self.name)


@functools.cache
def _provider(path: str) -> IdentityProvider:
    try:
        factory = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"IDENTITY_PROVIDER={path!r} 无法导入") from exc
    provider = factory() if isinstance(factory, type) else factory
    if not isinstance(provider, IdentityProvider):
        raise ImproperlyConfigured(f"IDENTITY_PROVIDER={path!r} 没有 verify(name, id_number) 方法")
    return provider


def get_provider() -> IdentityProvider:
    """The adapter ``IDENTITY_PROVIDER`` names (a class, instantiated once, or an object)."""
    return _provider(getattr(settings, "IDENTITY_PROVIDER", "") or DEFAULT_PROVIDER)


def record(user: Any, verified: Verified, *, ip: str | None = None) -> None:
    """Write the outcome of a check on ``user``'s account to the audit trail."""
    audit.record(
        actor=user,
        action=AUDIT_ACTION,
        obj=user,
        summary=f"{verified.label}（{verified.provider}）",
        after={
            "real_name": verified.real_name,
            "provider": verified.provider,
            "reference": verified.reference,
        },
        ip=ip,
    )


def status_of(user: Any) -> str:
    """已实名核验 or 未实名核验 for a citizen's account: the latest check on it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return UNVERIFIED_LABEL
    latest = (
        AuditEvent.objects.filter(action=AUDIT_ACTION, object_type=user._meta.label, object_id=str(user.pk))
        .order_by("-at", "-id")
        .values_list("after", flat=True)
        .first()
    )
    return VERIFIED_LABEL if latest and latest.get("real_name") else UNVERIFIED_LABEL
