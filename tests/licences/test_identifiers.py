"""证照标识: the ISO/IEC 7064 MOD 37,36 check character, build and parse (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.iso7064 import mod_37_36

from zhengwu.core.errors import InvalidInput
from zhengwu.licences.identifiers import (
    ALPHABET,
    PREFIX,
    LicenceIdentifier,
    build,
    check_character,
    is_check_valid,
    parse,
)

DEFINER = "11330100002482046B"  # a USCC with a correct check character (stdnum.cn.uscc)
ISSUER = "11330106MB12345675"
TYPE_CODE = DEFINER + "001"
EXAMPLE = f"{PREFIX}.{TYPE_CODE}.{ISSUER}.2026000001.001.U"


# Hand computation, M = 36: P starts at 36; per character S = (P + v) mod 36 (0 read as 36),
# P = 2S mod 37; the check value is (37 - P) mod 36.
#   "0":  S = 36,             P = 72 mod 37 = 35;            check (37 - 35) = 2   → "2"
#   "1":  S = 1,              P = 2;                         check 35             → "Z"
#   "12": "1" S = 1, P = 2;   "2" S = 4, P = 8;              check 29             → "T"
#   "21": "2" S = 2, P = 4;   "1" S = 5, P = 10;             check 27             → "R"
#   "A1": "A"=10 S = 10, P = 20; "1" S = 21, P = 42 mod 37 = 5; check 32          → "W"
@pytest.mark.parametrize(
    ("text", "check"),
    [("0", "2"), ("1", "Z"), ("12", "T"), ("21", "R"), ("A1", "W"), ("A12425GABC1234002", "M")],
)
def test_check_character_hand_computed(text: str, check: str) -> None:
    assert check_character(text) == check
    assert is_check_valid(text + check)


def test_dots_are_not_part_of_the_check() -> None:
    assert check_character("1.2") == check_character("12") == "T"


def test_the_example_identifier() -> None:
    # Its check is over "121563005211330100002482046B00111330106MB123456752026000001001".
    body = EXAMPLE[:-2].replace(".", "")
    assert check_character(body) == mod_37_36.calc_check_digit(body) == "U"
    ident = parse(EXAMPLE)
    assert ident == LicenceIdentifier(TYPE_CODE, ISSUER, "2026000001", 1)
    assert str(ident) == EXAMPLE


def test_lowercase_and_other_characters_are_refused_by_the_check() -> None:
    with pytest.raises(ValueError):
        check_character("a1")


@given(st.text(alphabet=ALPHABET, max_size=80))
def test_agrees_with_an_independent_implementation(text: str) -> None:
    assert check_character(text) == mod_37_36.calc_check_digit(text)
    assert mod_37_36.is_valid(text + check_character(text))


# --- building and parsing -------------------------------------------------------------------

usccs = st.tuples(
    st.from_regex(r"\A[0-9]{8}\Z"),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
).map(lambda parts: "".join(parts) + uscc.calc_check_digit("".join(parts)))
identifiers = st.builds(
    LicenceIdentifier,
    type_code=st.tuples(usccs, st.from_regex(r"\A[0-9]{3}\Z")).map("".join),
    issuer_code=usccs,
    serial=st.from_regex(r"\A[0-9A-Z]{1,32}\Z"),
    version=st.integers(1, 999),
)


@given(identifiers)
def test_build_parse_round_trip(ident: LicenceIdentifier) -> None:
    built = build(
        type_code=ident.type_code, issuer_code=ident.issuer_code, serial=ident.serial, version=ident.version
    )
    assert built == ident
    assert parse(str(built)) == ident
    assert parse(f"  {built}\n") == ident


@given(identifiers, st.data())
def test_every_single_character_change_is_detected(ident: LicenceIdentifier, data: st.DataObject) -> None:
    text = str(ident)
    i = data.draw(st.integers(len(PREFIX), len(text) - 1), label="position")
    new = data.draw(st.sampled_from(ALPHABET + ".").filter(lambda c: c != text[i]), label="character")
    with pytest.raises(InvalidInput):
        parse(text[:i] + new + text[i + 1 :])


def _swap_blind_spot(state_before: int, a: str, b: str) -> bool:
    """MOD 37,36's one blind spot per running state P: the two characters that bring (P + v) mod 36
    to 18 and 19, where doubling mod 37 wraps (2·18 = 36, 2·19 = 38 ≡ 1), so both orders end in
    the same state. That is 1 in 630 of the adjacent swaps of two distinct characters."""
    return {(state_before + ALPHABET.index(a)) % 36, (state_before + ALPHABET.index(b)) % 36} == {18, 19}


def _state_before(text: str) -> int:
    p = 36
    for ch in text.replace(".", ""):
        p = 2 * ((p + ALPHABET.index(ch)) % 36 or 36) % 37
    return p


@given(identifiers, st.data())
def test_every_adjacent_swap_is_detected_except_the_check_systems_blind_spot(
    ident: LicenceIdentifier, data: st.DataObject
) -> None:
    text = str(ident)
    i = data.draw(
        st.integers(len(PREFIX), len(text) - 2).filter(lambda j: text[j] != text[j + 1]), label="position"
    )
    swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if "." not in text[i : i + 2] and _swap_blind_spot(_state_before(text[:i]), text[i], text[i + 1]):
        # Only the other checks can catch it: a USCC's own check character (which detects every
        # swap of its first 17 characters), never a 流水号, 版本号 or the type code's 3 digits.
        return
    with pytest.raises(InvalidInput):
        parse(swapped)


def test_the_blind_spot_exists_and_is_exactly_that() -> None:
    # ISO/IEC 7064 promises every single substitution for a hybrid system, not every swap:
    # in the 流水号 below, after "2026" the state is such that "AB" and "BA" share a check.
    serials = [f"2026{a}{b}" for a in ALPHABET for b in ALPHABET if a != b]
    undetected = []
    for serial in serials:
        swapped = serial[:4] + serial[5] + serial[4]
        one = build(type_code=TYPE_CODE, issuer_code=ISSUER, serial=serial)
        other = build(type_code=TYPE_CODE, issuer_code=ISSUER, serial=swapped)
        if one.check == other.check:
            undetected.append(serial)
            state = _state_before(f"{PREFIX}.{TYPE_CODE}.{ISSUER}.2026")
            assert _swap_blind_spot(state, serial[4], serial[5])
    assert undetected == ["2026AB", "2026BA"]  # one unordered pair, in both orders, of 36·35


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.2.156.3005.3.X", "证照标识应以「1.2.156.3005.2.」开头"),
        (
            f"{PREFIX}.{TYPE_CODE}.{ISSUER}.2026000001.U",
            "证照标识应由前缀、类型代码、颁发机构代码、流水号、版本号和校验位组成",
        ),
        (
            f"{PREFIX}.{DEFINER}01.{ISSUER}.1.001.0",
            "类型代码「11330100002482046B01」应为定义机构的统一社会信用代码",
        ),
        (
            f"{PREFIX}.11330100002482046C001.{ISSUER}.1.001.0",
            "类型代码中的定义机构代码「11330100002482046C」不是有效的统一社会信用代码",
        ),
        (
            f"{PREFIX}.{TYPE_CODE}.11330106MB1234567.1.001.0",
            "颁发机构代码「11330106MB1234567」应为18位统一社会信用代码",
        ),
        (
            f"{PREFIX}.{TYPE_CODE}.11330106MB12345670.1.001.0",
            "颁发机构代码「11330106MB12345670」不是有效的统一社会信用代码",
        ),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}.20a6.001.0", "流水号「20a6」应为1至32位数字或大写字母"),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}..001.0", "流水号「」应为1至32位数字或大写字母"),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}.1.01.0", "版本号「01」应为001至999的3位数字"),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}.1.000.0", "版本号「000」应为001至999的3位数字"),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}.1.001.", "校验位「」应为1位数字或大写字母"),
        (f"{PREFIX}.{TYPE_CODE}.{ISSUER}.2026000001.001.V", "校验位错误"),
    ],
)
def test_parse_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse(text)
    assert err.value.message.startswith(message)
    assert err.value.field == "identifier"


def test_build_refuses_bad_parts() -> None:
    with pytest.raises(InvalidInput, match="版本号1000应在1至999之间"):
        build(type_code=TYPE_CODE, issuer_code=ISSUER, serial="1", version=1000)
    with pytest.raises(InvalidInput, match="流水号"):
        build(type_code=TYPE_CODE, issuer_code=ISSUER, serial="1" * 33)


def test_a_change_makes_the_next_version() -> None:
    first = build(type_code=TYPE_CODE, issuer_code=ISSUER, serial="2026000001")
    second = first.next_version()
    assert str(second).endswith(".2026000001.002." + second.check)
    assert parse(str(second)).version == 2
    with pytest.raises(InvalidInput, match="已达999"):
        LicenceIdentifier(TYPE_CODE, ISSUER, "1", 999).next_version()
