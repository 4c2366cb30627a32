"""证照标识 — the identifier of an e-licence (DESIGN §7, GB/T 36901–36906-2018 style).

``1.2.156.3005.2.<类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>``

- 类型代码: the defining department's 统一社会信用代码 (18 characters) followed by 3 digits;
- 颁发机构代码: the issuing department's 统一社会信用代码 (18 characters);
- 流水号: the issuer's serial number, 1–32 characters of 0–9 and A–Z (our rule: the check alphabet
  has no other characters, so nothing else could be protected by the check);
- 版本号: 3 digits, ``001`` for the first issue, one more for each 变更;
- 校验位: ISO/IEC 7064 MOD 37,36 over all the preceding characters without the dots.

The dots need no check of their own: the prefix and every component but the 流水号 have a fixed
length, so a moved, lost or extra dot always leaves some component the wrong length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from zhengwu.core.errors import InvalidInput

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M = 36  # ISO/IEC 7064 hybrid system MOD M+1,M with M = 36

_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_SERIAL = re.compile(r"[0-9A-Z]{1,32}")
_VERSION = re.compile(r"[0-9]{3}")
_TYPE_SUFFIX = re.compile(r"[0-9]{3}")

FIELD = "identifier"


def check_character(text: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 check character of ``text`` (characters 0–9, A–Z; dots ignored).

    Hybrid system: start with P = M; for each character S = (P + value) mod M, taken as M when
    it is 0, then P = 2·S mod (M + 1). The check character is the one whose value c makes
    (P + c) mod M = 1, so that running the same steps over text + check ends with S = 1.
    """
    p = _M
    for ch in text.replace(".", ""):
        try:
            value = _VALUES[ch]
        except KeyError:
            raise ValueError(f"character {ch!r} is outside 0-9A-Z") from None
        s = (p + value) % _M or _M
        p = (2 * s) % (_M + 1)
    return ALPHABET[(_M + 1 - p) % _M]


def is_check_valid(text_with_check: str) -> bool:
    body, check = text_with_check[:-1], text_with_check[-1:]
    return bool(check) and check in _VALUES and check_character(body) == check


@dataclass(frozen=True)
class LicenceIdentifier:
    """The parts of a 证照标识."""

    type_code: str  # 类型代码: definer's USCC + 3 digits
    issuer_code: str  # 颁发机构代码: issuer's USCC
    serial: str  # 流水号
    version: int  # 版本号, 1–999

    @property
    def body(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}"

    @property
    def check(self) -> str:
        return check_character(self.body)

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"

    def next_version(self) -> LicenceIdentifier:
        """The identifier of the version a 变更 makes."""
        if self.version >= 999:
            raise InvalidInput("证照版本号已达999，不能再变更", field=FIELD)
        return LicenceIdentifier(self.type_code, self.issuer_code, self.serial, self.version + 1)


@lru_cache(maxsize=1024)
def _valid_uscc(code: str) -> bool:
    """Whether ``code`` is an 18-character upper-case USCC with a right check character (a few
    issuers' codes recur in every identifier, so the answer is kept)."""
    try:
        uscc.validate(code)
    except ValidationError:
        return False
    return uscc.compact(code) == code


def _check_uscc(code: str, what: str) -> None:
    if _valid_uscc(code):
        return
    try:
        uscc.validate(code)
    except ValidationError:
        raise InvalidInput(f"{what}「{code}」不是有效的统一社会信用代码", field=FIELD) from None
    if uscc.compact(code) != code:
        raise InvalidInput(f"{what}「{code}」须为18位大写统一社会信用代码", field=FIELD)


def _check_parts(type_code: str, issuer_code: str, serial: str, version: str) -> None:
    if len(type_code) != 21 or not _TYPE_SUFFIX.fullmatch(type_code[18:]):
        raise InvalidInput(
            f"类型代码「{type_code}」应为定义机构的统一社会信用代码（18位）加3位数字", field=FIELD
        )
    _check_uscc(type_code[:18], "类型代码中的定义机构代码")
    if len(issuer_code) != 18:
        raise InvalidInput(f"颁发机构代码「{issuer_code}」应为18位统一社会信用代码", field=FIELD)
    _check_uscc(issuer_code, "颁发机构代码")
    if not _SERIAL.fullmatch(serial):
        raise InvalidInput(f"流水号「{serial}」应为1至32位数字或大写字母", field=FIELD)
    if not _VERSION.fullmatch(version) or version == "000":
        raise InvalidInput(f"版本号「{version}」应为001至999的3位数字", field=FIELD)


def build(*, type_code: str, issuer_code: str, serial: str, version: int = 1) -> LicenceIdentifier:
    """A checked identifier from its parts; refuses parts that do not follow the rules above."""
    if not 1 <= version <= 999:
        raise InvalidInput(f"版本号{version}应在1至999之间", field=FIELD)
    _check_parts(type_code, issuer_code, serial, f"{version:03d}")
    return LicenceIdentifier(type_code, issuer_code, serial, version)


def parse(identifier: str) -> LicenceIdentifier:
    """The parts of a typed or scanned 证照标识; a clear Chinese refusal naming what is wrong."""
    text = identifier.strip()
    if not text.startswith(PREFIX + "."):
        raise InvalidInput(f"证照标识应以「{PREFIX}.」开头", field=FIELD)
    parts = text[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidInput(
            "证照标识应由前缀、类型代码、颁发机构代码、流水号、版本号和校验位组成，以“.”分隔", field=FIELD
        )
    type_code, issuer_code, serial, version, check = parts
    _check_parts(type_code, issuer_code, serial, version)
    if len(check) != 1 or check not in _VALUES:
        raise InvalidInput(f"校验位「{check}」应为1位数字或大写字母", field=FIELD)
    result = LicenceIdentifier(type_code, issuer_code, serial, int(version))
    if result.check != check:
        raise InvalidInput("校验位错误：证照标识有误，请核对后重新输入", field=FIELD)
    return result
