"""SM2/SM3 through OpenSSL: the standard's example vectors, a second implementation written here
from GB/T 32918.2 to cross-check against, tamper detection, and private keys sealed at rest."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.licences import crypto
from zhengwu.licences.crypto import (
    CryptoError,
    SealingKey,
    generate_keypair,
    new_sealing_key,
    open_private_key,
    parse_sealing_keys,
    public_key_of,
    seal_private_key,
    sealed_key_id,
    sign,
    sm3,
    verify,
)

# --- GB/T 32905-2016 (SM3) appendix A ----------------------------------------------------------


def test_sm3_standard_examples() -> None:
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


# --- the recommended curve (GB/T 32918.5-2017) and the signature example of GM/T 0003.5-2012 A.2 ---

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

EX_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
EX_PUB = (
    0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020,
    0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13,
)
EX_MSG = b"message digest"
EX_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
EX_ZA = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
EX_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
EX_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
EX_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA

Point = tuple[int, int] | None


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    doubling = p1 == p2
    lam = (3 * x1 * x1 + A if doubling else y2 - y1) * pow(2 * y1 if doubling else x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k: int, point: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _i32(v: int) -> bytes:
    return v.to_bytes(32, "big")


def _za(pub: tuple[int, int], user_id: bytes = b"1234567812345678") -> bytes:
    entl = (len(user_id) * 8).to_bytes(2, "big")
    return sm3(entl + user_id + _i32(A) + _i32(B) + _i32(G[0]) + _i32(G[1]) + _i32(pub[0]) + _i32(pub[1]))


def _ref_sign(d: int, msg: bytes, k: int) -> tuple[int, int]:
    pub = _mul(d, G)
    assert pub is not None
    e = int.from_bytes(sm3(_za(pub) + msg), "big")
    x1 = _mul(k, G)[0]  # type: ignore[index]
    r = (e + x1) % N
    s = pow(1 + d, -1, N) * (k - r * d) % N
    return r, s


def _ref_verify(pub: tuple[int, int], msg: bytes, r: int, s: int) -> bool:
    if not (1 <= r < N and 1 <= s < N):
        return False
    e = int.from_bytes(sm3(_za(pub) + msg), "big")
    t = (r + s) % N
    point = _add(_mul(s, G), _mul(t, pub))
    return point is not None and (e + point[0]) % N == r


# DER: the fixed SubjectPublicKeyInfo / PKCS#8 prefixes of an SM2 key (ecPublicKey + curve SM2).
_SPKI = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
_PKCS8 = bytes.fromhex("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")


def _pem(kind: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]) + "\n").encode()


def _public_pem(pub: tuple[int, int]) -> bytes:
    return _pem("PUBLIC KEY", _SPKI + _i32(pub[0]) + _i32(pub[1]))


def _private_pem(d: int, pub: tuple[int, int]) -> bytes:
    return _pem("PRIVATE KEY", _PKCS8 + _i32(d) + bytes.fromhex("a14403420004") + _i32(pub[0]) + _i32(pub[1]))


def _der_int(v: int) -> bytes:
    raw = v.to_bytes((v.bit_length() + 8) // 8, "big")  # a leading 0 when the top bit is set
    return b"\x02" + bytes([len(raw)]) + raw


def _der_sig(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def _from_der(sig: bytes) -> tuple[int, int]:
    assert sig[0] == 0x30 and sig[1] == len(sig) - 2
    rlen = sig[3]
    r = int.from_bytes(sig[4 : 4 + rlen], "big")
    s = int.from_bytes(sig[6 + rlen :], "big")
    return r, s


def _public_xy(public_pem: bytes) -> tuple[int, int]:
    der = base64.b64decode(b"".join(public_pem.splitlines()[1:-1]))
    assert der.startswith(_SPKI)
    return int.from_bytes(der[-64:-32], "big"), int.from_bytes(der[-32:], "big")


def test_the_reference_reproduces_the_standard_example() -> None:
    assert _mul(EX_D, G) == EX_PUB
    assert _za(EX_PUB).hex() == EX_ZA
    assert sm3(_za(EX_PUB) + EX_MSG).hex() == EX_E
    assert _ref_sign(EX_D, EX_MSG, EX_K) == (EX_R, EX_S)
    assert _ref_verify(EX_PUB, EX_MSG, EX_R, EX_S)


def test_openssl_verifies_the_standard_example_signature() -> None:
    public = _public_pem(EX_PUB)
    assert verify(public, EX_MSG, _der_sig(EX_R, EX_S))
    assert not verify(public, b"message digesT", _der_sig(EX_R, EX_S))
    assert not verify(public, EX_MSG, _der_sig(EX_R, EX_S), user_id=b"ALICE123@YAHOO.COM")


def test_the_standard_private_key_loads_and_signs_what_the_reference_accepts() -> None:
    private = _private_pem(EX_D, EX_PUB)
    assert public_key_of(private) == _public_pem(EX_PUB)
    for _ in range(3):  # a fresh k each time, so three different signatures
        r, s = _from_der(sign(private, EX_MSG))
        assert _ref_verify(EX_PUB, EX_MSG, r, s)


def test_cross_verification_with_a_fresh_key() -> None:
    private, public = generate_keypair()
    pub = _public_xy(public)
    data = "电子证照".encode()
    r, s = _from_der(sign(private, data))
    assert _ref_verify(pub, data, r, s)
    # and the other way: the reference signs (with a known k), OpenSSL verifies
    d_der = base64.b64decode(b"".join(private.splitlines()[1:-1]))
    d = int.from_bytes(d_der[len(_PKCS8) : len(_PKCS8) + 32], "big")
    assert _mul(d, G) == pub
    assert verify(public, data, _der_sig(*_ref_sign(d, data, 0x1234567890ABCDEF)))


# --- round trip and tampering ------------------------------------------------------------------


@pytest.fixture(scope="module")
def keypair() -> tuple[bytes, bytes]:
    return generate_keypair()


DATA = "证照标识=1.2.156.3005.2.X;持证主体=张三".encode()


@pytest.fixture(scope="module")
def signature(keypair: tuple[bytes, bytes]) -> bytes:
    """One signature of DATA for the tamper tests (a fresh one varies in length, 70–72 bytes)."""
    return sign(keypair[0], DATA)


def test_round_trip(keypair: tuple[bytes, bytes]) -> None:
    private, public = keypair
    signature = sign(private, DATA)
    assert verify(public, DATA, signature)
    assert verify(crypto.load_public_key(public), DATA, signature)
    assert verify(public, b"", sign(private, b""))
    assert not verify(generate_keypair()[1], DATA, signature)  # someone else's key


def test_the_signer_id_is_part_of_the_signature(keypair: tuple[bytes, bytes]) -> None:
    private, public = keypair
    signature = sign(private, DATA, user_id=b"seal-330100")
    assert verify(public, DATA, signature, user_id=b"seal-330100")
    assert not verify(public, DATA, signature)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_one_flipped_bit_in_the_data_is_detected(
    keypair: tuple[bytes, bytes], signature: bytes, data: st.DataObject
) -> None:
    public = keypair[1]
    assert verify(public, DATA, signature)
    bit = data.draw(st.integers(0, len(DATA) * 8 - 1))
    tampered = bytearray(DATA)
    tampered[bit // 8] ^= 1 << (bit % 8)
    assert not verify(public, bytes(tampered), signature)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_one_flipped_bit_in_the_signature_is_detected(
    keypair: tuple[bytes, bytes], signature: bytes, data: st.DataObject
) -> None:
    public = keypair[1]
    bit = data.draw(st.integers(0, len(signature) * 8 - 1))
    tampered = bytearray(signature)
    tampered[bit // 8] ^= 1 << (bit % 8)
    assert not verify(public, DATA, bytes(tampered))


@pytest.mark.parametrize("signature", [b"", b"\x30\x00", b"\x00" * 72, _der_sig(0, 1), _der_sig(N, 1)])
def test_malformed_signatures_are_false_not_errors(keypair: tuple[bytes, bytes], signature: bytes) -> None:
    assert verify(keypair[1], DATA, signature) is False


def test_a_malformed_or_wrong_kind_of_key_is_an_error(keypair: tuple[bytes, bytes]) -> None:
    with pytest.raises(CryptoError, match="not a public key"):
        verify(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", DATA, b"")
    with pytest.raises(CryptoError, match="not a private key"):
        sign(keypair[1], DATA)  # a public key where the private one belongs
    # a P-256 key is an EC key but not SM2
    p256 = (
        bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004")
        + _i32(0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296)
        + _i32(0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
    )
    with pytest.raises(CryptoError, match="not an SM2 key"):
        verify(_pem("PUBLIC KEY", p256), DATA, b"")


# --- private keys at rest ----------------------------------------------------------------------


def test_seal_and_open(keypair: tuple[bytes, bytes]) -> None:
    (key,) = parse_sealing_keys(new_sealing_key("2026a"))
    sealed = seal_private_key(keypair[0], key)
    assert keypair[0] not in sealed
    assert b"PRIVATE KEY" not in sealed
    assert sealed_key_id(sealed) == "2026a"
    assert open_private_key(sealed, [key]) == keypair[0]
    assert seal_private_key(keypair[0], key) != sealed  # a fresh nonce each time


def test_rotation_keeps_old_blobs_open(keypair: tuple[bytes, bytes]) -> None:
    old_env = new_sealing_key("2026a")
    (old,) = parse_sealing_keys(old_env)
    sealed_before = seal_private_key(keypair[0], old)

    keys = parse_sealing_keys(f"{new_sealing_key('2027a')}, {old_env}")  # new key first
    current = keys[0]
    assert current.key_id == "2027a"
    assert open_private_key(sealed_before, keys) == keypair[0]
    resealed = seal_private_key(open_private_key(sealed_before, keys), current)
    assert sealed_key_id(resealed) == "2027a"
    assert open_private_key(resealed, [current]) == keypair[0]

    with pytest.raises(CryptoError, match="sealing key '2026a' is not configured"):
        open_private_key(sealed_before, [current])  # the old key dropped too early


def test_an_altered_blob_or_a_wrong_key_does_not_open(keypair: tuple[bytes, bytes]) -> None:
    (key,) = parse_sealing_keys(new_sealing_key("k1"))
    sealed = seal_private_key(keypair[0], key)
    for i in (len(sealed) - 1, len(sealed) // 2, 8):
        tampered = bytearray(sealed)
        tampered[i] ^= 1
        with pytest.raises(CryptoError, match="does not open"):
            open_private_key(bytes(tampered), [key])
    impostor = SealingKey("k1", bytes(32))
    with pytest.raises(CryptoError, match="does not open"):
        open_private_key(sealed, [impostor])
    # the key id is authenticated: relabelling the blob for another configured key fails
    (other,) = parse_sealing_keys(new_sealing_key("k2"))
    relabelled = sealed.replace(b"k1", b"k2", 1)
    with pytest.raises(CryptoError, match="does not open"):
        open_private_key(relabelled, [key, SealingKey("k2", key.secret), other])
    with pytest.raises(CryptoError, match="not a sealed private key"):
        open_private_key(keypair[0], [key])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no sealing key"),
        ("abc", "id:base64"),
        ("a:not base64!", "not base64"),
        ("a:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ("a b:" + base64.b64encode(bytes(32)).decode(), "sealing key id"),
        (",".join(["a:" + base64.b64encode(bytes(32)).decode()] * 2), "share an id"),
    ],
)
def test_bad_sealing_key_settings(value: str, message: str) -> None:
    with pytest.raises(CryptoError, match=message):
        parse_sealing_keys(value)


def test_a_sealing_key_never_shows_its_secret() -> None:
    key = SealingKey("k1", b"\x01" * 32)
    assert repr(key) == "SealingKey('k1')"
    assert "\\x01" not in str([key])
