"""Who acts on a matter. Every service takes an :class:`Actor`; there is no "nobody" that skips the
check. Kinds: a staff member, a citizen or enterprise account, an API client, a device (the window
rating pad, a kiosk) and the system itself, which always says why it acts (定时催办, 主动治理任务 …).

``authorise`` is the one check: the actor's permission (staff, API clients acting for a user),
ownership for citizens, and the department a staff member belongs to where the action is a
department's own. The system passes the role check and is recorded as 系统 with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from zhengwu.core.errors import NotAllowed


class ActorKind(models.TextChoices):
    STAFF = "staff", "工作人员"
    CITIZEN = "citizen", "申请人"
    API_CLIENT = "api_client", "接口调用方"
    DEVICE = "device", "终端设备"
    SYSTEM = "system", "系统"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user: Any = None  # the login behind a staff member, citizen or API client; None for system/device
    reason: str = ""  # why the system acts; which device

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def of(cls, user: Any) -> Actor:
        """The actor behind a request's user: staff when ``is_staff``, a citizen otherwise. An
        anonymous user is refused here, so that no service ever sees one."""
        if isinstance(user, Actor):
            return user
        if (
            user is None
            or not getattr(user, "is_authenticated", False)
            or not getattr(user, "is_active", True)
        ):
            raise NotAllowed("请先登录")
        return cls(ActorKind.STAFF if user.is_staff else ActorKind.CITIZEN, user)

    @classmethod
    def system(cls, reason: str) -> Actor:
        if not reason:
            raise ValueError("系统操作须说明原因")
        return cls(ActorKind.SYSTEM, None, reason)

    @classmethod
    def device(cls, name: str) -> Actor:
        return cls(ActorKind.DEVICE, None, name)

    # -- what the history records -------------------------------------------------------------

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    @property
    def person(self) -> Any:
        """What rows and events store as the actor: the user, or None for the system or a device."""
        return self.user

    @property
    def pk(self) -> int | None:
        return getattr(self.user, "pk", None)

    @property
    def department_id(self) -> int | None:
        return getattr(self.user, "department_id", None) if self.kind == ActorKind.STAFF else None

    @property
    def label(self) -> str:
        if self.user is not None:
            return str(getattr(self.user, "display_name", "") or self.user)
        return "系统" if self.is_system else (self.reason or ActorKind(self.kind).label)

    def has_perm(self, perm: str) -> bool:
        if self.is_system:
            return True
        if self.kind not in (ActorKind.STAFF, ActorKind.API_CLIENT) or self.user is None:
            return False
        return bool(self.user.has_perm(perm))

    def __str__(self) -> str:
        return self.label


def authorise(
    actor: Actor,
    *,
    doing: str,
    permission: str | None = None,
    department_id: int | None = None,
    owner_ids: tuple[int | None, ...] | None = None,
) -> None:
    """Refuse, naming what was being done, unless the actor may: staff (and API clients) need
    ``permission`` and, when ``department_id`` is given, to belong to that department; citizens
    only act where their user id is one of ``owner_ids``. The system passes; a device only acts
    where an action names no permission and no owner."""
    if not isinstance(actor, Actor):
        raise TypeError("authorise() takes an Actor")
    if actor.is_system:
        return
    if actor.kind == ActorKind.CITIZEN:
        if owner_ids is None:  # not an applicant's action at all: a role's, which a citizen has not
            raise NotAllowed(f"您的角色不能{doing}")
        if actor.pk is None or actor.pk not in owner_ids:
            raise NotAllowed(f"只有申请人本人才能{doing}")
        return
    if actor.kind == ActorKind.DEVICE:
        if permission is not None or owner_ids is not None:
            raise NotAllowed(f"终端设备不能{doing}")
        return
    if permission is None or not actor.has_perm(permission):
        raise NotAllowed(f"您的角色不能{doing}")
    if department_id is not None and actor.department_id != department_id:
        raise NotAllowed(f"只有承办部门本部门人员才能{doing}")
