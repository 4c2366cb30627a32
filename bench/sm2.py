"""Benchmark of the SM2 (with SM3) implementations we could use for 电子证照 seals: signatures and
cold verifications per second on one core, after checking each against the standard's example
(GM/T 0003.5-2012 A.2: d, P, ID 1234567812345678, "message digest", r, s) and against OpenSSL.

Candidates: OpenSSL 3's libcrypto through ``zhengwu.licences.crypto`` (ctypes), and the PyPI
packages gmssl, gmalg and snowland-smx (``pysmx``), plus a look at whether ``cryptography``
exposes SM2. The PyPI ones are not project dependencies; install them into a scratch venv and run
this script with that venv's Python, the project's ``src`` on the path:

    python3 -m venv /tmp/sm2venv
    /tmp/sm2venv/bin/pip install gmssl gmalg snowland-smx cryptography
    /tmp/sm2venv/bin/python bench/sm2.py [--seconds 3] [--cpu 0]

A candidate that is not installed is reported as such. "Cold" verification builds the verifier
from the public key's stored form (PEM or hex) for every signature and caches nothing; each
verification is of a different message. Figures go in docs/benchmarks.md under 电子证照签名.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from zhengwu.licences import crypto

# GM/T 0003.5-2012 A.2 (the same example as GB/T 32918.5-2017's recommended curve)
D = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
PX = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
PY = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
MSG = b"message digest"
UID = b"1234567812345678"

_SPKI = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
_PKCS8 = bytes.fromhex("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")


def _pem(kind: str, der: bytes) -> bytes:
    import base64

    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]) + "\n").encode()


PUBLIC_PEM = _pem("PUBLIC KEY", _SPKI + bytes.fromhex(PX + PY))
PRIVATE_PEM = _pem("PRIVATE KEY", _PKCS8 + bytes.fromhex(D) + bytes.fromhex("a14403420004" + PX + PY))


def raw_to_der(rs: bytes) -> bytes:
    def integer(v: bytes) -> bytes:
        v = v.lstrip(b"\0") or b"\0"
        if v[0] & 0x80:
            v = b"\0" + v
        return b"\x02" + bytes([len(v)]) + v

    body = integer(rs[:32]) + integer(rs[32:])
    return b"\x30" + bytes([len(body)]) + body


def der_to_raw(sig: bytes) -> bytes:
    rlen = sig[3]
    r = int.from_bytes(sig[4 : 4 + rlen], "big")
    s = int.from_bytes(sig[6 + rlen :], "big")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class Candidate:
    """sign(message) -> raw r||s (64 bytes); verify_cold(message, raw) -> bool."""

    name = ""
    version = ""

    def sign(self, message: bytes) -> bytes:
        raise NotImplementedError

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        raise NotImplementedError

    def sign_with_k(self, message: bytes, k_hex: str) -> bytes | None:
        """The standard's fixed-k signature, where the library lets k be chosen."""
        return None


class OpenSSL(Candidate):
    name = "OpenSSL 3 libcrypto via ctypes (zhengwu.licences.crypto)"

    def __init__(self) -> None:
        import ssl

        self.version = ssl.OPENSSL_VERSION

    def sign(self, message: bytes) -> bytes:
        return der_to_raw(crypto.sign(PRIVATE_PEM, message))

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        return crypto.verify(PUBLIC_PEM, message, raw_to_der(rs))


class OpenSSLWarm(OpenSSL):
    name = "the same, public key parsed once (not cold; for comparison)"

    def __init__(self) -> None:
        super().__init__()
        self.key = crypto.load_public_key(PUBLIC_PEM)

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        return crypto.verify(self.key, message, raw_to_der(rs))


class GmSSL(Candidate):
    name = "gmssl (pure Python)"

    def __init__(self) -> None:
        from importlib.metadata import version

        from gmssl import sm2

        self.sm2 = sm2
        self.version = version("gmssl")
        self.signer = sm2.CryptSM2(private_key=D, public_key=PX + PY)

    def sign(self, message: bytes) -> bytes:
        return bytes.fromhex(self.signer.sign_with_sm3(message))

    def sign_with_k(self, message: bytes, k_hex: str) -> bytes | None:
        return bytes.fromhex(self.signer.sign_with_sm3(message, k_hex))

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        verifier = self.sm2.CryptSM2(private_key="", public_key=PX + PY)
        return bool(verifier.verify_with_sm3(rs.hex(), message))


class GmAlg(Candidate):
    name = "gmalg (pure Python)"

    def __init__(self) -> None:
        from importlib.metadata import version

        import gmalg

        self.gmalg = gmalg
        self.version = version("gmalg")
        self.signer = gmalg.SM2(bytes.fromhex(D), UID, bytes.fromhex("04" + PX + PY))

    def sign(self, message: bytes) -> bytes:
        r, s = self.signer.sign(message)
        return r.rjust(32, b"\0") + s.rjust(32, b"\0")

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        verifier = self.gmalg.SM2(pk=bytes.fromhex("04" + PX + PY), uid=UID)
        return bool(verifier.verify(message, rs[:32], rs[32:]))


class SnowlandSmx(Candidate):
    name = "snowland-smx / pysmx (pure Python)"

    def __init__(self) -> None:
        import secrets
        from importlib.metadata import version

        from pysmx import SM2

        self.SM2 = SM2
        self.secrets = secrets
        self.version = version("snowland-smx")

    def sign(self, message: bytes) -> bytes:
        return self.sign_with_k(message, self.secrets.token_hex(32)) or b""

    def sign_with_k(self, message: bytes, k_hex: str) -> bytes | None:
        return self.SM2.Sign(message, D, k_hex, 64, uid=UID)

    def verify_cold(self, message: bytes, rs: bytes) -> bool:
        return bool(self.SM2.Verify(rs, message, PX + PY, 64, uid=UID))


def cryptography_note() -> str:
    try:
        from importlib.metadata import version

        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        return "cryptography: not installed"
    try:
        key = load_pem_public_key(PUBLIC_PEM)
    except Exception as exc:
        return f"cryptography {version('cryptography')}: cannot load an SM2 key ({type(exc).__name__}: {exc})"
    return (
        f"cryptography {version('cryptography')}: loads the key as {type(key).__name__}, no SM2 signature API"
    )


def rate(fn: Callable[[int], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn(n)
        n += 1
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--cpu", type=int, default=0, help="the one core to run on")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})

    print(
        f"# SM2/SM3 — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {platform.processor() or platform.machine()}"
    )
    print(f"# Python {platform.python_version()}, one core (cpu {args.cpu}), load average {os.getloadavg()}")
    print("# " + cryptography_note())
    print()
    print("| candidate | version | standard example | interop with OpenSSL | sign / s | cold verify / s |")
    print("|---|---|---|---|---:|---:|")
    std = bytes.fromhex(R + S)
    messages = [
        f"证照标识=1.2.156.3005.2.{i:012d};持证主体=张三;有效期至=2031-12-31".encode() for i in range(256)
    ]
    reference = OpenSSL()
    for cls in (OpenSSL, OpenSSLWarm, GmSSL, GmAlg, SnowlandSmx):
        try:
            cand = cls()
        except ImportError:
            print(f"| {cls.name} | not installed | | | | |")
            continue
        example = cand.verify_cold(MSG, std) and not cand.verify_cold(MSG + b"!", std)
        fixed = cand.sign_with_k(MSG, K)
        example_text = ("verifies r,s" if example else "FAILS") + (
            "" if fixed is None else ("; reproduces r,s with k" if fixed == std else "; fixed k: WRONG r,s")
        )
        theirs = cand.sign(MSG)
        interop = reference.verify_cold(MSG, theirs) and cand.verify_cold(MSG, reference.sign(MSG))
        signatures = [cand.sign(m) for m in messages[:16]]
        sign_rate = rate(lambda i, c=cand: c.sign(messages[i % 256]), args.seconds)
        verify_rate = rate(
            lambda i, c=cand, sigs=signatures: c.verify_cold(messages[i % 16], sigs[i % 16]), args.seconds
        )
        assert all(cand.verify_cold(messages[i], signatures[i]) for i in range(16))
        print(
            f"| {cand.name} | {cand.version} | {example_text} | {'yes' if interop else 'NO'} "
            f"| {sign_rate:,.0f} | {verify_rate:,.0f} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
