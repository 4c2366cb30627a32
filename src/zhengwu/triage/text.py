"""Text helpers shared by the classifier, near-duplicate index and hot-issue mining.

One n-gram function serves training and prediction, so the fast single-message path in
``classifier`` cannot drift from what the model was fitted on.
"""

from __future__ import annotations

import operator
import re

from zhengwu.core.errors import InvalidInput

# Appeals are typed or transcribed by operators; 20,000 characters is ten times the longest real
# message we have seen and keeps one request well under a millisecond-scale budget.
MAX_TEXT_CHARS = 20_000

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WHITESPACE = re.compile(r"\s+")


def has_chinese(text: str) -> bool:
    return CJK.search(text) is not None


def normalise(text: str) -> str:
    """Lower-case and collapse whitespace: pasted text is full of line breaks and full-width
    spaces that carry no meaning."""
    return _WHITESPACE.sub(" ", text.lower()).strip()


def char_ngrams(text: str) -> list[str]:
    """Character unigrams and bigrams. Chinese needs no word segmentation for this: a bigram is
    most often a word or half of one, and it is ten times faster than jieba (measured; see
    docs/benchmarks.md), which matters for the ≥ 1,000 predictions/s target."""
    t = normalise(text)
    return [*t, *map(operator.add, t, t[1:])]


def char_bigrams(text: str) -> list[str]:
    t = normalise(text)
    return list(map(operator.add, t, t[1:]))


def compose(title: str, body: str) -> str:
    """The classifier's input. The title is repeated once: it is the dispatcher's own summary and
    weighing it double scored best in cross-validation (many messages have no title at all)."""
    title, body = (title or "").strip(), (body or "").strip()
    return f"{title}。{title}。{body}" if title else body


def validate_appeal_text(title: str, body: str) -> tuple[str, str]:
    """Refuse text a model cannot judge, with a Chinese message naming the field. Returns the
    stripped title and body."""
    title, body = (title or "").strip(), (body or "").strip()
    for field, label, value in (("title", "标题", title), ("body", "诉求内容", body)):
        if len(value) > MAX_TEXT_CHARS:
            raise InvalidInput(
                f"{label}过长（{len(value)}字），不能超过{MAX_TEXT_CHARS}字，请精简后再提交", field=field
            )
    if not title and not body:
        raise InvalidInput("请填写诉求内容（标题和内容不能都为空）", field="body")
    if not has_chinese(title + body):
        raise InvalidInput("请使用中文描述诉求", field="body" if body else "title")
    return title, body
