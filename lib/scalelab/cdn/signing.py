"""Signed, expiring URLs: who may fetch a private object from the edge, and until when.

A link is ``path?expires=E&signature=S`` (``&`` instead of ``?`` when ``path`` already has a query), where
``S`` is the HMAC-SHA256 of ``f"{path}\\n{E}"`` under a secret key the origin and the edges share, encoded
in URL-safe base64 without padding (only ``A–Z a–z 0–9 - _``: nothing a URL must escape). Changing the path,
its query or the expiry changes the message, so the old signature no longer matches.

The rules, and why:

* a link is valid while ``now < expires`` (at the expiry second it is already expired);
* the signature is compared with :func:`hmac.compare_digest` (constant time: ``==`` stops at the first
  different byte, and that time leaks how much of a forged signature is right);
* a link may not live longer than :data:`MAX_LIFETIME` (7 days, S3's limit for a presigned URL): a
  leaked link stays useful at most that long.

CloudFront's signed URLs carry ``Expires``, ``Signature`` and ``Key-Pair-Id`` and sign with RSA (the
edge holds only a public key); S3's presigned URLs carry ``X-Amz-Expires`` (at most 604,800 s) and
``X-Amz-Signature`` (HMAC-SHA256, SigV4). This module keeps the shared-secret HMAC of the second, as
nginx's ``secure_link`` module does at an edge you run yourself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import numbers
import re

#: The longest a link may live, in seconds: 7 days (S3 presigned URLs, ``aws s3 presign --expires-in``).
MAX_LIFETIME = 7 * 24 * 3600

#: What :func:`verify` may answer.
OUTCOMES = ("ok", "expired", "bad-signature", "too-long", "malformed")

_LINK = re.compile(
    r"^(?P<path>/.*)[?&]expires=(?P<expires>[0-9]+)&signature=(?P<sig>[A-Za-z0-9_-]+)$"
)

_SIGNED = re.compile(r"[?&](expires|signature)=")


def _key(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or not key:
        raise ValueError(f"key must be non-empty bytes or str, got {key!r}")
    return key


def signature(path: str, expires: int, key: bytes | str) -> str:
    """URL-safe base64 (no padding) of HMAC-SHA256(key, ``f"{path}\\n{expires}"``)."""
    digest = hmac.new(_key(key), f"{path}\n{int(expires)}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _now(now: float) -> float:
    if isinstance(now, bool) or not isinstance(now, numbers.Real) or now != now:
        raise ValueError(f"now must be a number of epoch seconds, got {now!r}")
    return now


def sign(path: str, expires: int, key: bytes | str, now: float) -> str:
    """The link to ``path`` valid until ``expires`` (epoch seconds), signed at ``now``.

    Refuses a link that expires at or before ``now``, or more than :data:`MAX_LIFETIME` after it, and a
    path that already carries ``expires=``/``signature=`` (signing a link twice).
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"path must be a string starting with '/', got {path!r}")
    if _SIGNED.search(path):
        raise ValueError(
            f"path is already a signed link (it has expires=/signature=), got {path!r}"
        )
    now = _now(now)
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise ValueError(f"expires must be whole epoch seconds (an int), got {expires!r}")
    if expires <= now:
        raise ValueError(f"expires must be after now ({now}), got {expires}")
    if expires - now > MAX_LIFETIME:
        raise ValueError(
            f"a link may live at most {MAX_LIFETIME:,} s (7 days), got {expires - now:,.0f} s"
        )
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}expires={expires}&signature={signature(path, expires, key)}"


def verify(url: str, key: bytes | str, now: float) -> str:
    """One of :data:`OUTCOMES` for ``url`` at time ``now``.

    The signature is checked first: a tampered link says "bad-signature" even when it has expired too.
    """
    now = _now(now)
    match = _LINK.match(url) if isinstance(url, str) else None
    if match is None:
        return "malformed"
    path, expires = match["path"], int(match["expires"])
    if not hmac.compare_digest(match["sig"], signature(path, expires, key)):
        return "bad-signature"
    if expires - now > MAX_LIFETIME:
        return "too-long"
    if now >= expires:
        return "expired"
    return "ok"
