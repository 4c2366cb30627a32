"""电子证照 services: seals, issue, 变更, 注销/吊销, verification and the holder's shares and uses.

The signed bytes (docs/domain/licences.md):

- **canonical data** — the licence's metadata and surface as UTF-8 JSON, keys sorted, no
  whitespace (``canonical()``); its SM3 digest is stored on the licence and printed in the PDF;
- **signed statement** — ``ZWZZ1|<证照标识>|<SM3 hex of the canonical data>`` (``statement()``), the
  SM2 signature (DER) is over these bytes, so a QR that carries only the 标识, the digest and the
  signature is enough to check offline that the issuer signed that licence with that content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from zhengwu.core.text import clean_text as _text
from zhengwu.core.text import strip_control_characters

from . import crypto, identifiers
from .models import (
    HolderCodeType,
    HolderKind,
    Licence,
    LicenceShare,
    LicenceState,
    LicenceType,
    LicenceUse,
    Seal,
    SerialCounter,
    UseKind,
)

STATEMENT_PREFIX = b"ZWZZ1|"
VERIFY_PATH = "/licences/verify/"
SHARE_MAX_DAYS = 90
PUBLIC_VERIFIER = "公众核验"


def _now() -> datetime:
    return timezone.now()


# ---------------------------------------------------------------------------------------------
# Seals (电子印章)
# ---------------------------------------------------------------------------------------------


def sealing_keys() -> list[crypto.SealingKey]:
    """The keys that seal private keys at rest, the current one first (settings.LICENCE_SEALING_KEYS)."""
    return crypto.parse_sealing_keys(settings.LICENCE_SEALING_KEYS)


@cache
def _private_key(seal_id: int, sealed: bytes) -> bytes:
    """A seal's private key, opened once per process (the blob is part of the key, so a re-sealed
    key is opened again)."""
    return crypto.open_private_key(sealed, sealing_keys())


@cache
def _public_key(seal_id: int, pem: str) -> crypto.LoadedKey:
    return crypto.load_public_key(pem.encode("ascii"))


def current_seal(department: Any) -> Seal | None:
    return Seal.objects.filter(department=department, retired_at__isnull=True).first()


@transaction.atomic
def make_seal(*, department: Any, by: Any, name: str = "") -> Seal:
    """A new seal for ``department`` (its first, or a rotation: the current one is retired and keeps
    verifying what it signed)."""
    at = _now()
    previous = Seal.objects.select_for_update().filter(department=department, retired_at__isnull=True).first()
    if previous is not None:
        previous.retired_at = at
        previous.save(update_fields=["retired_at", "updated_at"])
    count = Seal.objects.filter(department=department).count()
    private, public = crypto.generate_keypair()
    seal = Seal.objects.create(
        department=department,
        key_id=f"{department.uscc}-{count + 1}",
        name=name or department.name,
        public_key=public.decode("ascii"),
        sealed_private_key=crypto.seal_private_key(private, sealing_keys()[0]),
    )
    audit.record(
        actor=by,
        action="licences.seal_rotated" if previous else "licences.seal_created",
        obj=seal,
        summary=f"{department.name}启用电子印章{seal.key_id}"
        + (f"，停用{previous.key_id}" if previous else ""),
    )
    return seal


def reseal_private_keys() -> int:
    """Seal every private key again under the current sealing key (after adding a new one); returns
    how many were re-sealed. Old sealing keys can be dropped from the environment afterwards."""
    keys = sealing_keys()
    current = keys[0].key_id
    count = 0
    for seal in Seal.objects.all():
        blob = bytes(seal.sealed_private_key)
        if crypto.sealed_key_id(blob) == current:
            continue
        seal.sealed_private_key = crypto.seal_private_key(crypto.open_private_key(blob, keys), keys[0])
        seal.save(update_fields=["sealed_private_key", "updated_at"])
        count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Canonical data, statement, QR payload
# ---------------------------------------------------------------------------------------------


def metadata(licence: Licence) -> dict[str, Any]:
    """The metadata DESIGN §7 names, with the surface; what the signature covers."""
    return {
        "证照标识": licence.identifier,
        "证照名称": licence.licence_type.name,
        "证照类型代码": licence.licence_type.code,
        "证照编号": licence.number,
        "颁发机构": licence.issuer.name,
        "颁发机构代码": licence.issuer.uscc,
        "颁发日期": licence.issued_on.isoformat(),
        "持证主体": licence.holder_name,
        "持证主体代码": licence.holder_code,
        "持证主体代码类型": licence.holder_code_type,
        "有效期起始": licence.valid_from.isoformat(),
        "有效期截止": licence.valid_until.isoformat() if licence.valid_until else "长期",
        "照面": dict(licence.surface),
        "签章名称": licence.seal.name,
        "印章编码": licence.seal.key_id,
        "签章时间": timezone.localtime(licence.signed_at).isoformat(timespec="seconds"),
    }


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def statement(identifier: str, digest_hex: str) -> bytes:
    return STATEMENT_PREFIX + identifier.encode("ascii") + b"|" + digest_hex.encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_url(identifier: str = "") -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{VERIFY_PATH}" + (f"?{urlencode({'i': identifier})}" if identifier else "")


def qr_text(licence: Licence) -> str:
    """The QR's text: the public verification page's URL carrying 标识 (i), 印章编码 (k), the SM3
    digest (d, base64url) and the SM2 signature (s, base64url of the DER) — a phone opens the page,
    an offline verifier checks s over ``statement(i, hex(d))`` with the published key k."""
    query = urlencode(
        {
            "i": licence.identifier,
            "k": licence.seal.key_id,
            "d": _b64(bytes.fromhex(licence.digest)),
            "s": _b64(bytes(licence.signature)),
        }
    )
    return f"{verify_url()}?{query}"


@dataclass(frozen=True)
class QrData:
    identifier: str
    key_id: str
    digest_hex: str
    signature: bytes


def parse_qr(text: str) -> QrData:
    """The four values of a scanned or pasted QR text; a clear refusal when it is not ours."""
    raw = strip_control_characters(str(text or "")).strip()
    if not raw:
        raise InvalidInput("请粘贴二维码内容", field="qr")
    query = parse_qs(urlsplit(raw).query) if "?" in raw else {}
    values = {k: v[0] for k, v in query.items() if v}
    if not {"i", "k", "d", "s"} <= values.keys():
        raise InvalidInput("二维码内容不是本平台电子证照的二维码（缺少标识、印章、摘要或签名）", field="qr")
    try:
        digest = _unb64(values["d"])
        signature = _unb64(values["s"])
    except (binascii.Error, ValueError):
        raise InvalidInput("二维码中的摘要或签名不是有效的base64url编码", field="qr") from None
    if len(digest) != crypto.SM3_SIZE:
        raise InvalidInput("二维码中的摘要长度不对（应为32字节SM3摘要）", field="qr")
    identifiers.parse(values["i"])
    return QrData(values["i"].strip(), values["k"].strip(), digest.hex(), signature)


# ---------------------------------------------------------------------------------------------
# Issue, 变更, 注销/吊销
# ---------------------------------------------------------------------------------------------


def next_serial(issuer: Any, year: int) -> str:
    """The issuer's next 流水号: the year and an 8-digit count (``202600000001``), one row per issuer
    and year incremented in the database, so concurrent issues never share a number."""
    counter, _ = SerialCounter.objects.get_or_create(department=issuer, year=year)
    SerialCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{year}{counter.last:08d}"


def reserve_serials(issuer: Any, year: int, count: int) -> list[str]:
    """``count`` consecutive 流水号 of the issuer for a bulk issue (one database round trip)."""
    counter, _ = SerialCounter.objects.get_or_create(department=issuer, year=year)
    SerialCounter.objects.filter(pk=counter.pk).update(last=F("last") + count)
    counter.refresh_from_db(fields=["last"])
    return [f"{year}{n:08d}" for n in range(counter.last - count + 1, counter.last + 1)]


def _sign(licence: Licence) -> None:
    seal = licence.seal
    licence.digest = crypto.sm3(canonical(metadata(licence))).hex()
    private = _private_key(seal.pk, bytes(seal.sealed_private_key))
    licence.signature = crypto.sign(private, statement(licence.identifier, licence.digest))


@dataclass
class Holder:
    kind: str
    name: str
    code: str
    citizen: Any = None
    enterprise: Any = None

    @classmethod
    def of(cls, party: Any) -> Holder:
        """A Citizen or an Enterprise as a holder."""
        if hasattr(party, "id_number"):
            return cls(HolderKind.PERSON, party.name, party.id_number, citizen=party)
        return cls(HolderKind.ORGANISATION, party.name, party.uscc, enterprise=party)


def _valid_until(licence_type: LicenceType, valid_from: date) -> date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years, day=28)
    return end - timedelta(days=1)


def _surface(licence_type: LicenceType, values: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in licence_type.surface_fields:
        name, label = spec["name"], spec.get("label", spec["name"])
        out[label] = _text(
            values.get(name, values.get(label, "")), field=f"surface.{name}", label=label, max_length=500
        )
    return out


def build_licence(
    *,
    licence_type: LicenceType,
    issuer: Any,
    holder: Holder,
    surface: Mapping[str, Any],
    number: str = "",
    issued_on: date,
    valid_from: date | None = None,
    valid_until: date | None = None,
    serial: str | None = None,
    version: int = 1,
    seal: Seal | None = None,
    signed_at: datetime | None = None,
    application: Any = None,
    imported: bool = False,
) -> Licence:
    """A signed, unsaved licence (the caller saves it; bulk issue saves many at once). The holder
    may be of the other kind than the type's usual one (a 个体工商户's 营业执照 is a person's)."""
    seal = seal or current_seal(issuer)
    if seal is None:
        raise Conflict(f"{issuer.name}尚无电子印章，请先在管理后台为其生成印章", field="issuer")
    serial = serial or next_serial(issuer, issued_on.year)
    ident = identifiers.build(
        type_code=licence_type.code, issuer_code=issuer.uscc, serial=serial, version=version
    )
    start = valid_from or issued_on
    licence = Licence(
        identifier=str(ident),
        licence_type=licence_type,
        number=number or serial,
        serial=serial,
        version=version,
        issuer=issuer,
        issued_on=issued_on,
        valid_from=start,
        valid_until=valid_until if valid_until is not None else _valid_until(licence_type, start),
        holder_kind=holder.kind,
        holder_name=holder.name,
        holder_code=holder.code,
        holder_code_type=HolderCodeType.ID_CARD if holder.kind == HolderKind.PERSON else HolderCodeType.USCC,
        citizen=holder.citizen,
        enterprise=holder.enterprise,
        surface=_surface(licence_type, surface),
        seal=seal,
        signed_at=signed_at or _now(),
        application=application,
        imported=imported,
    )
    if licence.valid_until is not None and licence.valid_until < licence.valid_from:
        raise InvalidInput("有效期截止不能早于有效期起始", field="valid_until")
    _sign(licence)
    return licence


@transaction.atomic
def issue(*, by: Any, **kwargs: Any) -> Licence:
    """Issue one licence (see ``build_licence``) and record it in the audit log. An issuing
    department without a seal yet gets its first one here."""
    if kwargs.get("seal") is None and current_seal(kwargs["issuer"]) is None:
        make_seal(department=kwargs["issuer"], by=by)
    licence = build_licence(**kwargs)
    try:
        with transaction.atomic():
            licence.save()
    except IntegrityError:
        raise Conflict(f"证照标识{licence.identifier}已存在", field="serial") from None
    audit.record(
        actor=by, action="licences.issued", obj=licence, summary=f"颁发{licence}（{licence.identifier}）"
    )
    return licence


def surface_from_application(licence_type: LicenceType, application: Any) -> dict[str, str]:
    """The surface values an application provides: its form data by field name, and the applicant's
    registered details (住址/住所, 法定代表人) where the form did not give them."""
    data: dict[str, Any] = dict(application.form_data or {})
    party = application.citizen or application.enterprise
    for attr in ("address", "legal_representative", "phone"):
        if getattr(party, attr, "") and not data.get(attr):
            data[attr] = getattr(party, attr)
    data.setdefault("result_name", application.result_name)
    return {spec["name"]: data.get(spec["name"], "") for spec in licence_type.surface_fields}


def issue_for_application(
    application: Any, *, by: Any, number: str = "", at: datetime | None = None
) -> Licence:
    """制证: the licence the application's item produces, made from the decision and the applicant's
    data, signed with the department's seal. Refused for an application not approved."""
    from zhengwu.applications.models import Decision

    licence_type = application.item.result_licence_type
    if licence_type is None:
        raise Conflict("该事项的结果不是电子证照，无须制证", field="application")
    if application.decision != Decision.APPROVED:
        raise Conflict("办件尚未准予许可，不能制证", field="application")
    if application.licences.exists():
        raise Conflict("该办件已制证", field="application")
    at = at or _now()
    party = application.citizen or application.enterprise
    return issue(
        by=by,
        licence_type=licence_type,
        issuer=application.department,
        holder=Holder.of(party),
        surface=surface_from_application(licence_type, application),
        number=number,
        issued_on=timezone.localdate(at),
        signed_at=at,
        application=application,
    )


def _lock(licence: Licence) -> Licence:
    return (
        Licence.objects.select_for_update()
        .select_related("licence_type", "issuer", "seal")
        .get(pk=licence.pk)
    )


def _may_manage(licence: Licence, by: Any) -> None:
    user = getattr(by, "user", by)
    if getattr(user, "is_superuser", False) or getattr(user, "sees_all_departments", False):
        return
    if getattr(user, "department_id", None) != licence.issuer_id:
        raise NotAllowed("只有颁发机构可以变更、注销或吊销该证照")


@transaction.atomic
def change(
    *, licence: Licence, by: Any, surface: Mapping[str, Any], reason: str, holder_name: str = ""
) -> Licence:
    """变更: a new version (版本号 + 1) with the changed surface, signed now; the old one is 已变更."""
    licence = _lock(licence)
    _may_manage(licence, by)
    if licence.state != LicenceState.VALID:
        raise Conflict(f"该证照{licence.get_state_display()}，不能变更", field="state")
    why = _text(reason, field="reason", label="变更原因", max_length=500, required=True)
    current = {
        spec["name"]: licence.surface.get(spec.get("label", spec["name"]), "")
        for spec in licence.licence_type.surface_fields
    }
    current.update(surface)
    holder = Holder(
        licence.holder_kind,
        holder_name.strip() or licence.holder_name,
        licence.holder_code,
        licence.citizen,
        licence.enterprise,
    )
    today = timezone.localdate()
    new = build_licence(
        licence_type=licence.licence_type,
        issuer=licence.issuer,
        holder=holder,
        surface=current,
        number=licence.number,
        issued_on=today,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        serial=licence.serial,
        version=licence.version + 1,
        application=licence.application,
    )
    if new.surface == licence.surface and new.holder_name == licence.holder_name:
        raise InvalidInput("照面信息没有变化", field="surface")
    new.save()
    licence.state, licence.state_reason, licence.state_changed_on = LicenceState.SUPERSEDED, why, today
    licence.superseded_by = new
    licence.save(update_fields=["state", "state_reason", "state_changed_on", "superseded_by"])
    audit.record(
        actor=by,
        action="licences.changed",
        obj=new,
        summary=f"变更{licence.identifier} → {new.identifier}：{why}",
    )
    return new


@transaction.atomic
def end(*, licence: Licence, by: Any, state: str, reason: str, on: date | None = None) -> Licence:
    """注销 (state=cancelled) or 吊销 (state=revoked), with the reason and the date."""
    if state not in (LicenceState.CANCELLED, LicenceState.REVOKED):
        raise InvalidInput("只能注销或吊销", field="state")
    licence = _lock(licence)
    _may_manage(licence, by)
    if licence.state != LicenceState.VALID:
        raise Conflict(
            f"该证照{licence.get_state_display()}，不能再{LicenceState(state).label[1:]}", field="state"
        )
    why = _text(reason, field="reason", label="原因", max_length=500, required=True)
    licence.state, licence.state_reason = state, why
    licence.state_changed_on = on or timezone.localdate()
    licence.save(update_fields=["state", "state_reason", "state_changed_on"])
    audit.record(
        actor=by, action=f"licences.{state}", obj=licence, summary=f"{licence.get_state_display()}：{why}"
    )
    return licence


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

OUTCOME_LABELS = {
    "valid": "有效",
    "superseded": "已变更",
    "cancelled": "已注销",
    "revoked": "已吊销",
    "expired": "已过期",
    "invalid_signature": "签名无效",
}


@dataclass
class Verification:
    """What a verification found: the outcome, the licence (when known) and each check made.
    ``row`` is the licence as verification read it — by QR, only the fields it needs; ``licence``
    loads the whole record (type, issuer, seal) the first time a page or API asks for it."""

    outcome: str
    row: Licence | None = None
    current: Licence | None = None
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    _full: Licence | None = field(default=None, repr=False)

    @property
    def licence(self) -> Licence | None:
        if self.row is None:
            return None
        if self._full is None:
            self._full = (
                self.row
                if not self.row.get_deferred_fields()
                else Licence.objects.select_related("licence_type", "issuer", "seal").get(pk=self.row.pk)
            )
        return self._full

    @property
    def label(self) -> str:
        text = OUTCOME_LABELS[self.outcome]
        if self.outcome == "superseded" and self.current is not None:
            return f"{text}（现行版本为{self.current.identifier}）"
        return text

    @property
    def ok(self) -> bool:
        return self.outcome == "valid"


def _find(identifier: str, *, checked: bool = False) -> Licence:
    """The registry's licence for a 标识 (checked here unless the caller did), one indexed query."""
    if not checked:
        identifiers.parse(identifier)
    try:
        return Licence.objects.select_related("licence_type", "issuer", "seal").get(
            identifier=identifier.strip()
        )
    except Licence.DoesNotExist:
        raise NotFound("未找到该证照标识对应的电子证照，请核对标识", field="identifier") from None


# What a QR verification reads: the licence's row and its seal's, one indexed lookup and one join.
# Raw SQL: at hundreds of verifications a second the ORM's query building costs more than the
# database and the signature together.
_LEAN_FIELDS = (
    "id",
    "identifier",
    "digest",
    "state",
    "state_reason",
    "state_changed_on",
    "valid_until",
    "superseded_by_id",
    "issuer_id",
    "seal_id",
)
_SEAL_FIELDS = ("key_id", "name", "department_id", "public_key")


@cache
def _lean_sql() -> str:
    meta, seal = Licence._meta, Seal._meta

    def column(model_meta: Any, name: str) -> str:
        return str(model_meta.get_field(name).column)  # a foreign key's attname (issuer_id) works too

    licence_cols = ", ".join(f"l.{column(meta, n)}" for n in _LEAN_FIELDS)
    seal_cols = ", ".join(f"s.{column(seal, n)} AS seal_{n}" for n in _SEAL_FIELDS)
    # Names from the models' own metadata; the identifier is a query parameter.
    return (
        f"SELECT {licence_cols}, {seal_cols} FROM {meta.db_table} l "  # noqa: S608
        f"JOIN {seal.db_table} s ON s.{seal.pk.column} = l.{column(meta, 'seal_id')} "
        f"WHERE l.{column(meta, 'identifier')} = %s"
    )


@dataclass(frozen=True)
class SealKey:
    """The parts of a seal verification needs."""

    pk: int
    key_id: str
    name: str
    department_id: int
    public_key: str

    @classmethod
    def of(cls, seal: Seal) -> SealKey:
        return cls(seal.pk, seal.key_id, seal.name, seal.department_id, seal.public_key)


def _find_lean(identifier: str) -> tuple[Licence, SealKey]:
    rows = list(Licence.objects.raw(_lean_sql(), [identifier.strip()]))
    if not rows:
        raise NotFound("未找到该证照标识对应的电子证照，请核对标识", field="identifier")
    row: Any = rows[0]
    seal = SealKey(row.seal_id, row.seal_key_id, row.seal_name, row.seal_department_id, row.seal_public_key)
    return row, seal


def _current_version(licence: Licence) -> Licence:
    seen = 0
    while licence.superseded_by_id is not None and seen < 999:
        licence = Licence.objects.select_related("superseded_by").get(pk=licence.superseded_by_id)
        seen += 1
    return licence


def _state_outcome(result: Verification, licence: Licence, today: date) -> Verification:
    if licence.state == LicenceState.SUPERSEDED:
        result.current = _current_version(licence)
        result.checks.append(("状态", False, f"已于{licence.state_changed_on}变更：{licence.state_reason}"))
        result.outcome = "superseded"
    elif licence.state in (LicenceState.CANCELLED, LicenceState.REVOKED):
        result.checks.append(
            (
                "状态",
                False,
                f"已于{licence.state_changed_on}{licence.get_state_display()[1:]}：{licence.state_reason}",
            )
        )
        result.outcome = licence.state
    elif licence.expired_on(today):
        result.checks.append(("有效期", False, f"有效期至{licence.valid_until}，已过期"))
        result.outcome = "expired"
    else:
        until = licence.valid_until.isoformat() if licence.valid_until else "长期"
        result.checks.append(("状态与有效期", True, f"未变更、未注销或吊销，有效期至{until}"))
        result.outcome = "valid"
    return result


def _check_signature(
    result: Verification, seal: Seal | SealKey, identifier: str, digest_hex: str, signature: bytes
) -> bool:
    ok = crypto.verify(_public_key(seal.pk, seal.public_key), statement(identifier, digest_hex), signature)
    result.checks.append(
        ("SM2签名", ok, f"用{seal.name}（{seal.key_id}）的公钥验签" + ("通过" if ok else "不通过"))
    )
    return ok


def verify_identifier(identifier: str, *, today: date | None = None) -> Verification:
    """By the typed 标识: the registry's record, its stored signature over its recomputed data."""
    licence = _find(identifier)
    result = Verification("invalid_signature", licence)
    result.checks.append(("证照标识", True, "格式与校验位正确，证照库中存在"))
    digest = crypto.sm3(canonical(metadata(licence))).hex()
    same = digest == licence.digest
    result.checks.append(("SM3摘要", same, "证照库数据与签章时一致" if same else "证照库数据与签章时不一致"))
    if not (
        same
        and _check_signature(
            result, licence.seal, licence.identifier, licence.digest, bytes(licence.signature)
        )
    ):
        return result
    return _state_outcome(result, licence, today or timezone.localdate())


def verify_qr(text: str, *, today: date | None = None) -> Verification:
    """By the QR's text: the signature over what the QR carries, then the registry's state."""
    data = parse_qr(text)
    licence, own = _find_lean(data.identifier)
    result = Verification("invalid_signature", licence)
    result.checks.append(("证照标识", True, "格式与校验位正确，证照库中存在"))
    seal: SealKey | None = own
    if own.key_id != data.key_id:  # a QR naming another seal: it must still be the issuer's
        other = Seal.objects.filter(key_id=data.key_id).first()
        seal = SealKey.of(other) if other is not None else None
    if seal is None or seal.department_id != licence.issuer_id:
        result.checks.append(("印章", False, f"印章编码{data.key_id}不是该证照颁发机构的印章"))
        return result
    if not _check_signature(result, seal, data.identifier, data.digest_hex, data.signature):
        return result
    same = data.digest_hex == licence.digest
    result.checks.append(("SM3摘要", same, "与证照库一致" if same else "与证照库记录不一致"))
    if not same:
        return result
    return _state_outcome(result, licence, today or timezone.localdate())


def verify_document(
    data: Mapping[str, Any], signature: bytes, key_id: str, *, today: date | None = None
) -> Verification:
    """By the data a licence PDF carries (its canonical metadata, signature and seal): the signature
    over the recomputed digest, then the registry's state."""
    identifier = str(data.get("证照标识", ""))
    licence = _find(identifier)
    result = Verification("invalid_signature", licence)
    result.checks.append(("证照标识", True, "格式与校验位正确，证照库中存在"))
    seal = Seal.objects.filter(key_id=key_id).first()
    if seal is None or seal.department_id != licence.issuer_id:
        result.checks.append(("印章", False, f"印章编码{key_id}不是该证照颁发机构的印章"))
        return result
    digest = crypto.sm3(canonical(data)).hex()
    if not _check_signature(result, seal, identifier, digest, signature):
        return result
    return _state_outcome(result, licence, today or timezone.localdate())


# ---------------------------------------------------------------------------------------------
# Uses and shares
# ---------------------------------------------------------------------------------------------


def log_use(
    licence: Licence,
    *,
    kind: str,
    used_by: str,
    purpose: str,
    user: Any = None,
    application: Any = None,
    share: LicenceShare | None = None,
    at: datetime | None = None,
) -> LicenceUse:
    return LicenceUse.objects.create(
        licence=licence,
        kind=kind,
        at=at or _now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        used_by=used_by[:200],
        purpose=purpose[:200],
        application=application,
        share=share,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def grant_share(
    *, licence: Licence, by: Any, organisation: str, purpose: str, days: int
) -> tuple[LicenceShare, str]:
    """授权用证: a share link valid ``days`` days; returns the share and the token (shown once)."""
    org = _text(organisation, field="organisation", label="被授权单位", max_length=200, required=True)
    why = _text(purpose, field="purpose", label="用证事由", max_length=200, required=True)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidInput("授权天数应为整数", field="days") from None
    if not 1 <= days <= SHARE_MAX_DAYS:
        raise InvalidInput(f"授权天数应在1至{SHARE_MAX_DAYS}天之间", field="days")
    if licence.state != LicenceState.VALID or licence.expired_on(timezone.localdate()):
        raise Conflict("只能授权使用有效的证照", field="licence")
    token = secrets.token_urlsafe(24)
    at = _now()
    share = LicenceShare.objects.create(
        licence=licence,
        token_hash=_token_hash(token),
        organisation=org,
        purpose=why,
        expires_at=at + timedelta(days=days),
        created_at=at,
        created_by=by,
    )
    return share, token


def open_share(token: str, *, viewer: str = "") -> LicenceShare:
    """The share behind a link, logged as a use; refused (403) once expired or revoked."""
    share = (
        LicenceShare.objects.select_related("licence__licence_type", "licence__issuer", "licence__seal")
        .filter(token_hash=_token_hash(str(token or "")))
        .first()
    )
    if share is None:
        raise NotFound("授权链接无效", field="token")
    at = _now()
    if share.revoked_at is not None:
        raise NotAllowed("该授权已被持证人撤销", field="token")
    if share.expires_at <= at:
        raise NotAllowed(
            f"该授权已于{timezone.localtime(share.expires_at):%Y-%m-%d %H:%M}过期", field="token"
        )
    log_use(
        share.licence,
        kind=UseKind.SHARE,
        used_by=viewer or share.organisation,
        purpose=share.purpose,
        share=share,
        at=at,
    )
    return share


@transaction.atomic
def revoke_share(*, share: LicenceShare, by: Any) -> LicenceShare:
    share = LicenceShare.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is None:
        share.revoked_at = _now()
        share.save(update_fields=["revoked_at"])
    return share
