"""电子证照核验 — the public verification page anyone can use, and the seals' public keys.

Four ways in, one answer: the 证照标识 typed, the QR's text pasted, a licence PDF uploaded, or the
QR's URL opened by a phone after scanning (``/licences/verify/?i=&k=&d=&s=``, verified at once;
``?i=`` alone verifies by identifier). The page shows the outcome, each check made and a summary of
the licence in which the holder's name is partly masked (李*四) and a person's ID number never
shown in full. Each verification of a licence found is logged as a use (用证) the holder sees.

Unknown or malformed identifiers, forged QR texts and foreign files count towards a lock-out of
the address they came from (shared with the API), so the registry cannot be walked by guessing.

``/licences/keys/`` publishes every seal's SM2 public key, current and retired, so that a third
party can check a licence's signature without us (docs/domain/licences.md, 签名与二维码).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.core.errors import DomainError, InvalidInput
from zhengwu.core.throttle import FailureCounter, client_ip
from zhengwu.core.validators import mask_id_number, mask_name

from . import services
from .models import HolderKind, Licence, Seal, UseKind
from .pdf import read_pdf
from .seal_image import seal_svg

MAX_UPLOAD = 5 * 1024 * 1024
# Failed verifications (unknown or malformed 标识, a QR or file not ours) from one address before
# it is refused for a while: a person mistypes a few times, walking the registry needs thousands.
VERIFY_FAILURES = FailureCounter("licence_verify", limit=30, seconds=15 * 60)
LOCKED = "核验失败次数过多，请15分钟后再试"
PURPOSE = "扫码/输入标识核验"

ALGORITHM = {"algorithm": "SM2", "hash": "SM3", "user_id": "1234567812345678"}
STATEMENT_FORMAT = {
    "canonical_data": "证照元数据与照面的UTF-8 JSON：键按Unicode码点排序，无空白（separators=',' ':'），不转义非ASCII字符",
    "digest": "SM3(canonical_data)，64位小写十六进制",
    "statement": "ZWZZ1|<证照标识>|<digest>（ASCII字节）",
    "signature": "对statement的SM2签名（GB/T 32918.2，SM3杂凑，用户标识1234567812345678），DER编码",
    "qr": f"<站点>{services.VERIFY_PATH}?i=<证照标识>&k=<印章编码>&d=<base64url(SM3摘要32字节)>&s=<base64url(签名DER)>，base64url不带=填充",
    "pdf": "PDF文档信息字典：/ZWZZData=base64(canonical_data)，/ZWZZSignature=base64(签名DER)，/ZWZZKeyId=印章编码",
    "documentation": "docs/domain/licences.md（签名与二维码）",
}


class Locked(DomainError):
    status = 429


class UnsupportedFile(InvalidInput):
    """An upload that is too big or not a PDF by its name or declared type."""


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def summary(licence: Licence) -> dict[str, Any]:
    """What a public page may show of a licence: no surface, the holder masked when a person (an
    organisation's name and 统一社会信用代码 are public)."""
    person = licence.holder_kind == HolderKind.PERSON
    return {
        "name": licence.licence_type.name,
        "number": licence.number,
        "identifier": licence.identifier,
        "version": licence.version,
        "issuer": licence.issuer.name,
        "issuer_code": licence.issuer.uscc,
        "issued_on": _date(licence.issued_on),
        "valid_from": _date(licence.valid_from),
        "valid_until": _date(licence.valid_until) or "长期",
        "holder_name": mask_name(licence.holder_name) if person else licence.holder_name,
        "holder_code": mask_id_number(licence.holder_code) if person else licence.holder_code,
        "holder_kind": licence.get_holder_kind_display(),
        "seal": licence.seal.key_id,
        "state": licence.get_state_display(),
    }


@dataclass
class Outcome:
    """A verdict as the page and the API give it, with its HTTP status."""

    verification: services.Verification

    @property
    def status(self) -> int:
        return 422 if self.verification.outcome == "invalid_signature" else 200

    def as_dict(self) -> dict[str, Any]:
        v = self.verification
        return {
            "outcome": v.outcome,
            "label": v.label,
            "ok": v.ok,
            "checks": [{"name": name, "ok": ok, "detail": detail} for name, ok, detail in v.checks],
            "licence": summary(v.licence) if v.licence is not None else None,
            "current": summary(v.current) if v.current is not None else None,
        }


def _read_upload(upload: Any) -> bytes:
    name = str(getattr(upload, "name", "") or "")
    if upload.size > MAX_UPLOAD:
        raise UnsupportedFile(f"文件「{name}」超过5MB，电子证照PDF一般不到100KB", field="file")
    kind = str(getattr(upload, "content_type", "") or "")
    if not name.lower().endswith(".pdf") and kind != "application/pdf":
        raise UnsupportedFile(f"只能上传电子证照PDF文件（.pdf），「{name}」不是PDF", field="file")
    return upload.read()


def verify(*, request: Any, identifier: str = "", qr: str = "", upload: Any = None) -> Outcome:
    """Verify by whichever one input is given and log the use on the licence found. Refusals are
    DomainErrors (400 malformed, 404 unknown, 422 not ours, 429 locked out) and count as failures."""
    ip = client_ip(request)
    if VERIFY_FAILURES.blocked(ip):
        raise Locked(LOCKED)
    given = [bool(str(identifier or "").strip()), bool(str(qr or "").strip()), upload is not None]
    try:
        if sum(given) != 1:
            raise InvalidInput(
                "请输入证照标识、粘贴二维码内容或上传电子证照PDF，三者选其一", field="identifier"
            )
        if given[0]:
            result = services.verify_identifier(str(identifier).strip())
        elif given[1]:
            result = services.verify_qr(str(qr))
        else:
            result = services.verify_document(*read_pdf(_read_upload(upload)))
    except DomainError:
        VERIFY_FAILURES.fail(ip)
        raise
    if result.outcome == "invalid_signature":
        VERIFY_FAILURES.fail(ip)
    if result.licence is not None:
        user = getattr(request, "user", None)
        department = getattr(user, "department", None) if getattr(user, "is_authenticated", False) else None
        services.log_use(
            result.licence,
            kind=UseKind.VERIFY,
            used_by=department.name if department is not None else services.PUBLIC_VERIFIER,
            purpose=PURPOSE,
            user=user,
        )
    return Outcome(result)


def keys_document() -> dict[str, Any]:
    """Every seal's public key, current and retired, with the algorithm and the statement format."""
    seals = Seal.objects.select_related("department").order_by("department__name", "created_at")
    return {
        **ALGORITHM,
        "statement_format": STATEMENT_FORMAT,
        "keys": [
            {
                "department": seal.department.name,
                "uscc": seal.department.uscc,
                "seal_name": seal.name,
                "key_id": seal.key_id,
                "public_key": seal.public_key,
                **ALGORITHM,
                "created_at": timezone.localtime(seal.created_at).isoformat(timespec="seconds"),
                "retired_at": (
                    timezone.localtime(seal.retired_at).isoformat(timespec="seconds")
                    if seal.retired_at
                    else None
                ),
            }
            for seal in seals
        ],
    }


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------

OUTCOME_COLOURS = {"valid": "green", "superseded": "yellow", "expired": "yellow"}


@never_cache
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """GET: the form, or a verdict at once for a QR's URL (?i=&k=&d=&s=) or ?i= alone. POST: one of
    the 标识, the QR text or the PDF."""
    inputs = {"identifier": "", "qr": ""}
    upload = None
    if request.method == "POST":
        inputs = {"identifier": request.POST.get("identifier", ""), "qr": request.POST.get("qr", "")}
        upload = request.FILES.get("file")
        submitted = True
    elif {"k", "d", "s"} & request.GET.keys():
        inputs["qr"] = "?" + request.META.get("QUERY_STRING", "")
        submitted = True
    elif request.GET.get("i"):
        inputs["identifier"] = request.GET["i"]
        submitted = True
    else:
        submitted = False
    context: dict[str, Any] = {"inputs": inputs, "max_upload_mb": MAX_UPLOAD // (1024 * 1024)}
    status = 200
    if submitted:
        try:
            outcome = verify(request=request, upload=upload, **inputs)
        except DomainError as exc:
            context["error"] = exc.message
            context["error_field"] = exc.field
            status = exc.status
        else:
            context["result"] = outcome.as_dict()
            if outcome.verification.licence is not None:
                # seal_svg escapes the name it draws; the rest is our own markup.
                context["seal_svg"] = mark_safe(seal_svg(outcome.verification.licence.seal.name, size=96))  # noqa: S308
            context["colour"] = OUTCOME_COLOURS.get(outcome.verification.outcome, "red")
            status = outcome.status
    if inputs["qr"].startswith("?"):
        inputs["qr"] = request.build_absolute_uri()  # show the scanned URL, not a bare query
    return render(request, "licences/verify.html", context, status=status)


@require_GET
def keys(request: HttpRequest) -> JsonResponse:
    """The published keys (JSON), cacheable for a few minutes: a rotation shows within that time."""
    response = JsonResponse(keys_document(), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
