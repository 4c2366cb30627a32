"""免提交: a material a licence type stands in for is not asked of an applicant who holds a valid,
current licence of that type; the licence is attached to the application's material and the use
is logged for the holder to see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import Licence, LicenceState, UseKind
from .services import log_use


def usable(party: Any, type_ids: Iterable[int], *, today: date | None = None) -> dict[int, Licence]:
    """The party's newest valid, current, unexpired licence of each of ``type_ids`` (type id →
    licence); a type the party holds none of is absent."""
    wanted = set(type_ids)
    if party is None or not wanted:
        return {}
    today = today or timezone.localdate()
    owner = {"citizen": party} if hasattr(party, "id_number") else {"enterprise": party}
    rows = (
        Licence.objects.filter(
            **owner, licence_type_id__in=wanted, state=LicenceState.VALID, valid_from__lte=today
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("licence_type", "issuer")
        .order_by("licence_type_id", "-issued_on", "-id")
    )
    out: dict[int, Licence] = {}
    for licence in rows:
        out.setdefault(licence.licence_type_id, licence)
    return out


def coverage(party: Any, uses: Iterable[Any]) -> dict[int, Licence]:
    """For a checklist (ItemMaterials with their material), the licence that stands in for each
    material the party need not hand in: ItemMaterial id → licence."""
    uses = list(uses)
    held = usable(party, {u.material.licence_type_id for u in uses if u.material.licence_type_id})
    return {u.pk: held[u.material.licence_type_id] for u in uses if u.material.licence_type_id in held}


def note_for(licence: Licence) -> str:
    return (
        f"由电子证照提供：{licence.licence_type.name}（编号{licence.number}，证照标识{licence.identifier}）"
    )


def attach(application: Any, *, user: Any, at: Any) -> int:
    """Mark every material of a new application that one of the applicant's licences covers as 免提交
    with that licence, and log each use; returns how many."""
    rows = list(application.materials.select_related("item_material__material"))
    covered = coverage(application.citizen or application.enterprise, [r.item_material for r in rows])
    count = 0
    for row in rows:
        licence = covered.get(row.item_material_id)
        if licence is None:
            continue
        row.status, row.licence, row.note = "exempt", licence, note_for(licence)
        row.save(update_fields=["status", "licence", "note"])
        log_use(
            licence,
            kind=UseKind.INTAKE,
            used_by=application.department.name,
            purpose=f"办理“{application.item.name}”，免提交“{row.name}”",
            user=user,
            application=application,
            at=at,
        )
        count += 1
    return count
