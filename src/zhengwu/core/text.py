"""Text as citizens and clients send it. Control characters (NUL, ESC, the other C0 codes but tab
and line breaks, and DEL) carry no meaning in an appeal, cannot be stored in XML (an Excel export
failed on one) and can hide words from a reader; every intake path removes them through
``strip_control_characters`` and says so in its field help (``CONTROL_CHARACTERS_NOTE``)."""

from __future__ import annotations

import re

from .errors import InvalidInput

# C0 controls except tab, line feed and carriage return (text people type), and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_NOTE = "不可见的控制字符会被自动去除"


def strip_control_characters(text: str) -> str:
    """``text`` without control characters (tab, line feed and carriage return are kept)."""
    return CONTROL_CHARACTERS.sub("", text)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def clean_text(value: object, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """A service's text input: control characters removed, trimmed, refused (InvalidInput naming
    ``field``) when required and empty or longer than ``max_length``."""
    text = strip_control_characters(str(value or "")).strip()
    if required and not text:
        raise InvalidInput(f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过{max_length}个字，现有{len(text)}个字", field=field)
    return text
