"""SM2 signatures over SM3 and the sealing of private keys at rest — the one interface every other
part of 电子证照 uses (docs/adr/0006-sm2-implementation.md).

The implementation is the system's OpenSSL 3 ``libcrypto`` (the same library Python's ``ssl`` and
``hashlib`` load), reached through ``ctypes``: SM2 (GB/T 32918) and SM3 (GB/T 32905) are built into
OpenSSL 3, and it verifies an order of magnitude faster than the pure-Python packages
(docs/benchmarks.md, 电子证照签名).

Forms, all bytes:

- a private key is PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``), only ever stored sealed;
- a public key is SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``), publishable as is;
- a signature is the DER ``SEQUENCE { r INTEGER, s INTEGER }`` of GB/T 35276 / GM/T 0009;
- the signer's distinguishing identifier (user ID, in Z_A) is ``1234567812345678`` unless given
  (GM/T 0009-2012 §10 default).

A sealed private key is ``ZWK1`` ‖ key-id length (1 byte) ‖ key id (ASCII) ‖ 12-byte nonce ‖
AES-256-GCM ciphertext ‖ 16-byte tag, with the header (magic and key id) as associated data so a
key id cannot be swapped. Sealing keys come from the environment as ``id:base64(32 bytes)`` pairs
separated by commas, the first one current; keep the old ones listed to open what they sealed.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import ctypes.util
import hashlib
import os
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

DEFAULT_ID = b"1234567812345678"
SM3_SIZE = 32

_MAGIC = b"ZWK1"
_NONCE = 12
_TAG = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class CryptoError(Exception):
    """A key, a sealed blob or the library itself is unusable (a programming or configuration
    error, not a user's: a bad signature is ``verify() -> False``, never this)."""


# --- libcrypto ----------------------------------------------------------------------------------

_P = ctypes.c_void_p
_S = ctypes.c_size_t
_I = ctypes.c_int


_BIO_CTRL_INFO = 3
_EVP_CTRL_GCM_GET_TAG = 0x10
_EVP_CTRL_GCM_SET_TAG = 0x11

_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "OpenSSL_version_num": (ctypes.c_ulong, []),
    "ERR_clear_error": (None, []),
    "BIO_s_mem": (_P, []),
    "BIO_new": (_P, [_P]),
    "BIO_new_mem_buf": (_P, [ctypes.c_char_p, _I]),
    "BIO_ctrl": (ctypes.c_long, [_P, _I, ctypes.c_long, _P]),
    "BIO_free": (_I, [_P]),
    "EVP_PKEY_CTX_new_from_name": (_P, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_PKEY_keygen_init": (_I, [_P]),
    "EVP_PKEY_generate": (_I, [_P, ctypes.POINTER(_P)]),
    "EVP_PKEY_CTX_free": (None, [_P]),
    "EVP_PKEY_free": (None, [_P]),
    "EVP_PKEY_is_a": (_I, [_P, ctypes.c_char_p]),
    "PEM_write_bio_PrivateKey": (_I, [_P, _P, _P, _P, _I, _P, _P]),
    "PEM_write_bio_PUBKEY": (_I, [_P, _P]),
    "PEM_read_bio_PrivateKey": (_P, [_P, _P, _P, _P]),
    "PEM_read_bio_PUBKEY": (_P, [_P, _P, _P, _P]),
    "EVP_MD_CTX_new": (_P, []),
    "EVP_MD_CTX_free": (None, [_P]),
    "EVP_DigestSignInit_ex": (_I, [_P, ctypes.POINTER(_P), ctypes.c_char_p, _P, _P, _P, _P]),
    "EVP_DigestSign": (_I, [_P, ctypes.c_char_p, ctypes.POINTER(_S), ctypes.c_char_p, _S]),
    "EVP_DigestVerifyInit_ex": (_I, [_P, ctypes.POINTER(_P), ctypes.c_char_p, _P, _P, _P, _P]),
    "EVP_PKEY_CTX_set1_id": (_I, [_P, ctypes.c_char_p, _I]),
    "EVP_DigestVerify": (_I, [_P, ctypes.c_char_p, _S, ctypes.c_char_p, _S]),
    "EVP_aes_256_gcm": (_P, []),
    "EVP_CIPHER_CTX_new": (_P, []),
    "EVP_CIPHER_CTX_free": (None, [_P]),
    "EVP_CIPHER_CTX_ctrl": (_I, [_P, _I, _I, _P]),
    "EVP_EncryptInit_ex": (_I, [_P, _P, _P, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_EncryptUpdate": (_I, [_P, _P, ctypes.POINTER(_I), ctypes.c_char_p, _I]),
    "EVP_EncryptFinal_ex": (_I, [_P, _P, ctypes.POINTER(_I)]),
    "EVP_DecryptInit_ex": (_I, [_P, _P, _P, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_DecryptUpdate": (_I, [_P, _P, ctypes.POINTER(_I), ctypes.c_char_p, _I]),
    "EVP_DecryptFinal_ex": (_I, [_P, _P, ctypes.POINTER(_I)]),
}


@cache
def _lib() -> Any:
    """libcrypto 3, typed; refuses an older one or one built without SM2/SM3."""
    name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise CryptoError(f"OpenSSL libcrypto not found ({name}): {exc}") from exc
    try:
        for fn, (restype, argtypes) in _SIGNATURES.items():
            func = getattr(lib, fn)
            func.restype = restype
            func.argtypes = argtypes
    except AttributeError as exc:
        raise CryptoError(f"{name} is not OpenSSL 3 ({exc})") from exc
    if lib.OpenSSL_version_num() < 0x30000000:
        raise CryptoError(f"{name} is older than OpenSSL 3.0")
    return lib


def _fail(what: str) -> CryptoError:
    _lib().ERR_clear_error()
    return CryptoError(what)


def _bio_bytes(bio: int) -> bytes:
    ptr = ctypes.c_char_p()
    size = _lib().BIO_ctrl(bio, _BIO_CTRL_INFO, 0, ctypes.byref(ptr))
    return ctypes.string_at(ptr, size)


def _start(init: Any, ctx: int, key: LoadedKey, user_id: bytes) -> bool:
    """Digest-sign/verify init with SM3 and the signer's ID. The ID is set on the context after
    init, not passed as an init parameter: OpenSSL 3.0 refuses ``distid`` during init (it checks
    that Z_A is still to be computed before the init has said so)."""
    pctx = _P()
    return bool(
        init(ctx, ctypes.byref(pctx), b"SM3", None, None, key.pointer, None) == 1
        and _lib().EVP_PKEY_CTX_set1_id(pctx, user_id, len(user_id)) == 1
    )


class LoadedKey:
    """An ``EVP_PKEY*`` owned by Python."""

    def __init__(self, pointer: int):
        self.pointer = pointer
        self._free = _lib().EVP_PKEY_free  # held here: module globals may be gone at interpreter exit

    def __del__(self) -> None:
        if getattr(self, "pointer", None):
            self._free(self.pointer)
            self.pointer = 0


def _load(pem: bytes, *, private: bool) -> LoadedKey:
    lib = _lib()
    bio = lib.BIO_new_mem_buf(pem, len(pem))
    if not bio:
        raise _fail("out of memory")
    try:
        read = lib.PEM_read_bio_PrivateKey if private else lib.PEM_read_bio_PUBKEY
        pointer = read(bio, None, None, None)
    finally:
        lib.BIO_free(bio)
    if not pointer:
        raise _fail(f"not a {'private' if private else 'public'} key in PEM form")
    key = LoadedKey(pointer)
    if lib.EVP_PKEY_is_a(pointer, b"SM2") != 1:
        raise CryptoError("the key is not an SM2 key")
    return key


def _pem(key: LoadedKey, *, private: bool) -> bytes:
    lib = _lib()
    bio = lib.BIO_new(lib.BIO_s_mem())
    try:
        ok = (
            lib.PEM_write_bio_PrivateKey(bio, key.pointer, None, None, 0, None, None)
            if private
            else lib.PEM_write_bio_PUBKEY(bio, key.pointer)
        )
        if ok != 1:
            raise _fail("could not write the key")
        return _bio_bytes(bio)
    finally:
        lib.BIO_free(bio)


# --- the interface ------------------------------------------------------------------------------


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905-2016), 32 bytes."""
    return hashlib.new("sm3", data).digest()


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh SM2 key pair: (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    lib = _lib()
    ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
    if not ctx:
        raise _fail("this OpenSSL has no SM2")
    try:
        pointer = _P()
        if lib.EVP_PKEY_keygen_init(ctx) != 1 or lib.EVP_PKEY_generate(ctx, ctypes.byref(pointer)) != 1:
            raise _fail("SM2 key generation failed")
    finally:
        lib.EVP_PKEY_CTX_free(ctx)
    key = LoadedKey(pointer.value or 0)
    return _pem(key, private=True), _pem(key, private=False)


def public_key_of(private: bytes) -> bytes:
    """The public key (PEM) of a private key (PEM)."""
    return _pem(_load(private, private=True), private=False)


def sign(private: bytes, data: bytes, *, user_id: bytes = DEFAULT_ID) -> bytes:
    """SM2 signature (DER) of SM3(Z_A ‖ data), Z_A computed from ``user_id`` and the key."""
    lib = _lib()
    key = _load(private, private=True)
    ctx = lib.EVP_MD_CTX_new()
    try:
        if not _start(lib.EVP_DigestSignInit_ex, ctx, key, user_id):
            raise _fail("SM2 signing could not start")
        size = _S(80)  # DER of two 256-bit integers is at most 72 bytes
        out = ctypes.create_string_buffer(size.value)
        if lib.EVP_DigestSign(ctx, out, ctypes.byref(size), data, len(data)) != 1:
            raise _fail("SM2 signing failed")
        return out.raw[: size.value]
    finally:
        lib.EVP_MD_CTX_free(ctx)


def load_public_key(public: bytes) -> LoadedKey:
    """A parsed public key, for a caller that verifies many signatures with the same key."""
    return _load(public, private=False)


def verify(public: bytes | LoadedKey, data: bytes, signature: bytes, *, user_id: bytes = DEFAULT_ID) -> bool:
    """Whether ``signature`` is the SM2 signature of ``data`` by the holder of ``public``'s private
    key. A malformed signature is ``False``; a malformed public key is a ``CryptoError``."""
    lib = _lib()
    key = public if isinstance(public, LoadedKey) else _load(public, private=False)
    ctx = lib.EVP_MD_CTX_new()
    try:
        if not _start(lib.EVP_DigestVerifyInit_ex, ctx, key, user_id):
            raise _fail("SM2 verification could not start")
        ok = lib.EVP_DigestVerify(ctx, signature, len(signature), data, len(data))
        if ok != 1:
            lib.ERR_clear_error()
        return bool(ok == 1)
    finally:
        lib.EVP_MD_CTX_free(ctx)


# --- private keys at rest -----------------------------------------------------------------------


@dataclass(frozen=True)
class SealingKey:
    """A 32-byte AES-256-GCM key and its id (the id is stored with every blob it seals)."""

    key_id: str
    secret: bytes = b""

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.key_id):
            raise CryptoError(f"sealing key id {self.key_id!r}: 1–64 of A–Z a–z 0–9 _ -")
        if len(self.secret) != 32:
            raise CryptoError(f"sealing key {self.key_id!r} must be 32 bytes")

    def __repr__(self) -> str:  # never print the secret
        return f"SealingKey({self.key_id!r})"


def parse_sealing_keys(value: str) -> list[SealingKey]:
    """``"2027a:BASE64,2026a:BASE64"`` (an environment variable) → keys, the current one first."""
    keys: list[SealingKey] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise CryptoError("each sealing key is written id:base64")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CryptoError(f"sealing key {key_id!r} is not base64") from exc
        keys.append(SealingKey(key_id, secret))
    if not keys:
        raise CryptoError("no sealing key given")
    if len({k.key_id for k in keys}) != len(keys):
        raise CryptoError("two sealing keys share an id")
    return keys


def new_sealing_key(key_id: str) -> str:
    """A fresh key in the environment form ``id:base64``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return _MAGIC + bytes([len(encoded)]) + encoded


def seal_private_key(private: bytes, key: SealingKey) -> bytes:
    """The private key encrypted under ``key`` (AES-256-GCM), tagged with the key's id."""
    lib = _lib()
    header = _header(key.key_id)
    nonce = os.urandom(_NONCE)
    ctx = lib.EVP_CIPHER_CTX_new()
    try:
        out = ctypes.create_string_buffer(len(private) + 16)
        tag = ctypes.create_string_buffer(_TAG)
        n, m, a = _I(), _I(), _I()
        if not (
            lib.EVP_EncryptInit_ex(ctx, lib.EVP_aes_256_gcm(), None, key.secret, nonce) == 1
            and lib.EVP_EncryptUpdate(ctx, None, ctypes.byref(a), header, len(header)) == 1
            and lib.EVP_EncryptUpdate(ctx, out, ctypes.byref(n), private, len(private)) == 1
            and lib.EVP_EncryptFinal_ex(ctx, ctypes.byref(out, n.value), ctypes.byref(m)) == 1
            and lib.EVP_CIPHER_CTX_ctrl(ctx, _EVP_CTRL_GCM_GET_TAG, _TAG, tag) == 1
        ):
            raise _fail("sealing failed")
        return header + nonce + out.raw[: n.value + m.value] + tag.raw
    finally:
        lib.EVP_CIPHER_CTX_free(ctx)


def sealed_key_id(sealed: bytes) -> str:
    """The id of the sealing key a blob needs (to tell which keys are still in use)."""
    if not sealed.startswith(_MAGIC) or len(sealed) < len(_MAGIC) + 1:
        raise CryptoError("not a sealed private key")
    size = sealed[len(_MAGIC)]
    return sealed[len(_MAGIC) + 1 : len(_MAGIC) + 1 + size].decode("ascii")


def open_private_key(sealed: bytes, keys: list[SealingKey]) -> bytes:
    """The private key sealed in ``sealed``, opened with whichever of ``keys`` has its id."""
    key_id = sealed_key_id(sealed)
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        raise CryptoError(f"sealing key {key_id!r} is not configured")
    header = _header(key_id)
    body = sealed[len(header) :]
    if len(body) < _NONCE + _TAG:
        raise CryptoError("sealed private key is truncated")
    nonce, ciphertext, tag = body[:_NONCE], body[_NONCE:-_TAG], body[-_TAG:]
    lib = _lib()
    ctx = lib.EVP_CIPHER_CTX_new()
    try:
        out = ctypes.create_string_buffer(len(ciphertext) + 16)
        n, m, a = _I(), _I(), _I()
        tag_buf = ctypes.create_string_buffer(tag, _TAG)
        if not (
            lib.EVP_DecryptInit_ex(ctx, lib.EVP_aes_256_gcm(), None, key.secret, nonce) == 1
            and lib.EVP_DecryptUpdate(ctx, None, ctypes.byref(a), header, len(header)) == 1
            and lib.EVP_DecryptUpdate(ctx, out, ctypes.byref(n), ciphertext, len(ciphertext)) == 1
            and lib.EVP_CIPHER_CTX_ctrl(ctx, _EVP_CTRL_GCM_SET_TAG, _TAG, tag_buf) == 1
            and lib.EVP_DecryptFinal_ex(ctx, ctypes.byref(out, n.value), ctypes.byref(m)) == 1
        ):
            raise _fail(f"sealed private key does not open with key {key_id!r} (altered or wrong key)")
        return out.raw[: n.value + m.value]
    finally:
        lib.EVP_CIPHER_CTX_free(ctx)
