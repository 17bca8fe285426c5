"""Wrong answers to exercise 08 (signed, expiring links; the monthly bill under tiered prices)."""

# The reference answers, as a learner would write them; each wrong answer changes one thing.
SIGN = """def sign(path, expires, key, now):
    if expires <= now:
        raise ValueError(f"expires must be after now ({now}), got {expires}")
    if expires - now > MAX_LIFETIME:
        raise ValueError(f"a link may live at most {MAX_LIFETIME} s, got {expires - now} s")
    digest = hmac.new(key, f"{path}\\n{expires}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}expires={expires}&signature={signature}"


def verify(url, key, now):
    parts = split_link(url)
    if parts is None:
        return "malformed"
    path, expires, signature = parts
    digest = hmac.new(key, f"{path}\\n{expires}".encode(), hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not hmac.compare_digest(signature, expected):
        return "bad-signature"
    if expires - now > MAX_LIFETIME:
        return "too-long"
    if now >= expires:
        return "expired"
    return "ok"
"""

COST = """def monthly_cost(gb, tiers):
    cost, below = 0.0, 0.0
    for up_to, price in tiers:
        if gb <= below:
            break
        cost += (min(gb, up_to) - below) * price
        below = up_to
    return cost
"""


def _sign(old: str, new: str) -> str:
    assert old in SIGN, old
    return SIGN.replace(old, new)


def _cost(old: str, new: str) -> str:
    assert old in COST, old
    return COST.replace(old, new)


WRONG = {
    "sign: the expiry is not in the signed message": {
        "sign-answer": _sign('f"{path}\\n{expires}".encode()', "path.encode()")
    },
    "sign: signatures compared with == (timing leak)": {
        "sign-answer": _sign(
            "if not hmac.compare_digest(signature, expected):", "if signature != expected:"
        )
    },
    "sign: standard base64 ('+', '/', '=' in the URL)": {
        "sign-answer": _sign(
            'base64.urlsafe_b64encode(digest).rstrip(b"=").decode()',
            "base64.b64encode(digest).decode()",
        )
    },
    "sign: no cap on a link's lifetime": {
        "sign-answer": _sign(
            "    if expires - now > MAX_LIFETIME:\n"
            '        raise ValueError(f"a link may live at most {MAX_LIFETIME} s, got {expires - now} s")\n',
            "",
        ).replace('    if expires - now > MAX_LIFETIME:\n        return "too-long"\n', "")
    },
    "sign: a link still valid at its expiry second (now > expires)": {
        "sign-answer": _sign("if now >= expires:", "if now > expires:")
    },
    "verify: expiry checked before the signature": {
        "sign-answer": _sign(
            "    if not hmac.compare_digest(signature, expected):",
            '    if now >= expires:\n        return "expired"\n'
            "    if not hmac.compare_digest(signature, expected):",
        )
    },
    "cost: every GB at the price of the tier the total falls in": {
        "cost-answer": """def monthly_cost(gb, tiers):
    for up_to, price in tiers:
        if gb <= up_to:
            return gb * price
"""
    },
    "cost: the upper bounds read as tier widths": {
        "cost-answer": _cost(
            "cost += (min(gb, up_to) - below) * price\n        below = up_to",
            "cost += min(gb - below, up_to) * price\n        below += up_to",
        )
    },
    "cost: the bytes past the last finite bound are free": {
        "cost-answer": _cost("for up_to, price in tiers:", "for up_to, price in tiers[:-1]:")
    },
}
