"""Validators for the national identifiers (GB 11643 公民身份号码, GB 32100 统一社会信用代码) and
masking of personal data. Messages are in Chinese and say what is wrong, not just "invalid"."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc


def validate_id_number(value: str) -> None:
    """公民身份号码: 18 characters, a real birth date, check digit (ISO 7064 MOD 11-2)."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        raise ValidationError(f"公民身份号码应为18位，实际为{len(text)}位", code="length")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValidationError("公民身份号码前17位应为数字，最后一位为数字或X", code="format")
    try:
        birth = ric.get_birth_date(text)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            f"公民身份号码中的出生日期 {text[6:14]} 不是有效日期", code="birth_date"
        ) from exc
    if birth > date.today():
        raise ValidationError(f"公民身份号码中的出生日期 {text[6:14]} 晚于今天", code="birth_date")
    try:
        ric.get_birth_place(text)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            f"公民身份号码前6位 {text[:6]} 不是有效的行政区划代码", code="birth_place"
        ) from exc
    if text[17] != ric.calc_check_digit(text):
        raise ValidationError("公民身份号码校验码错误，请核对最后一位", code="checksum")


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters from the GB 32100 alphabet, check character (MOD 31)."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        raise ValidationError(f"统一社会信用代码应为18位，实际为{len(text)}位", code="length")
    try:
        uscc.validate(text)
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError("统一社会信用代码校验码错误，请核对最后一位", code="checksum") from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            "统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V）或登记管理部门代码无效", code="format"
        ) from exc


S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """The check digit of an 8-digit UPU S10 serial: weights 8 6 4 2 3 5 9 7, 11 − (sum mod 11),
    where 10 becomes 0 and 11 becomes 5 (UPU S10 §5.2)."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def validate_s10(value: str) -> None:
    """邮件号 (UPU S10, e.g. EMS EA123456785CN): two letters, 8 digits, the check digit, the
    two-letter country code."""
    text = (value or "").strip().upper()
    if len(text) != 13:
        raise ValidationError(f"邮件号应为13位（如EA123456785CN），实际为{len(text)}位", code="length")
    if not (text[:2].isalpha() and text[:2].isascii() and text[2:11].isdigit() and text[11:].isalpha()):
        raise ValidationError("邮件号格式应为2个字母、9位数字、2个字母（如EA123456785CN）", code="format")
    if text[10] != s10_check_digit(text[2:10]):
        raise ValidationError("邮件号校验位错误，请核对第11位数字", code="checksum")


def mask_id_number(value: str | None) -> str:
    """4101**********1234: keep the first four and last four characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(name: str | None) -> str:
    """李* for two characters, 李*四 for three, 欧**华 for four and more: the first and last shown."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(value: str | None) -> str:
    """138****1234."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
