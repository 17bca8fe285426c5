"""Wrong answers to exercise 00 (average and peak QPS)."""

GOOD_CHECK = """
    if daily_active_users < 0 or requests_per_user < 0:
        raise ValueError("inputs must be 0 or more")
"""
PEAK = """
def peak_qps(daily_active_users, requests_per_user):
    return 2 * average_qps(daily_active_users, requests_per_user)
"""


def qps(check: str, formula: str, peak: str = PEAK) -> dict[str, str]:
    """A whole answer cell: average_qps with this check and return expression, then peak_qps."""
    average = (
        f"def average_qps(daily_active_users, requests_per_user):{check}    return {formula}\n"
    )
    return {"qps-answer": average + peak}


EXACT = "daily_active_users * requests_per_user / 86_400"

WRONG = {
    "floor division rounds small loads to zero": qps(
        GOOD_CHECK, "daily_active_users * requests_per_user // 86_400"
    ),
    "divides by the seconds of an hour": qps(
        GOOD_CHECK, "daily_active_users * requests_per_user / 3_600"
    ),
    "divides by the minutes of a day": qps(
        GOOD_CHECK, "daily_active_users * requests_per_user / 1_440"
    ),
    "rounds to two decimals": qps(
        GOOD_CHECK, "round(daily_active_users * requests_per_user / 86_400, 2)"
    ),
    "rounds to a whole number of requests": qps(
        GOOD_CHECK, "int(daily_active_users * requests_per_user / 86_400)"
    ),
    "returns the int 0 when nobody uses it": qps(
        GOOD_CHECK
        + "    if daily_active_users == 0 or requests_per_user == 0:\n        return 0\n",
        EXACT,
    ),
    "peak equals the average": qps(
        GOOD_CHECK,
        EXACT,
        """
def peak_qps(daily_active_users, requests_per_user):
    return average_qps(daily_active_users, requests_per_user)
""",
    ),
    "peak does not check its inputs": qps(
        GOOD_CHECK,
        EXACT,
        """
def peak_qps(daily_active_users, requests_per_user):
    return 2 * daily_active_users * requests_per_user / 86_400
""",
    ),
    "accepts negative users": qps("\n", EXACT),
    "checks only the users": qps(
        """
    if daily_active_users < 0:
        raise ValueError("daily_active_users must be 0 or more")
""",
        EXACT,
    ),
    "refuses only when both are negative": qps(
        """
    if daily_active_users < 0 and requests_per_user < 0:
        raise ValueError("inputs must be 0 or more")
""",
        EXACT,
    ),
    "checks the sign of the product": qps(
        """
    if daily_active_users * requests_per_user < 0:
        raise ValueError("inputs must be 0 or more")
""",
        EXACT,
    ),
    "refuses zero": qps(
        """
    if daily_active_users <= 0 or requests_per_user <= 0:
        raise ValueError("inputs must be positive")
""",
        EXACT,
    ),
    "raises Exception, not ValueError": qps(
        """
    if daily_active_users < 0 or requests_per_user < 0:
        raise Exception("inputs must be 0 or more")
""",
        EXACT,
    ),
    "asserts instead of raising ValueError": qps(
        """
    assert daily_active_users >= 0 and requests_per_user >= 0, "inputs must be 0 or more"
""",
        EXACT,
    ),
    "clamps negative input to zero": qps(
        "\n",
        "max(0.0, daily_active_users) * max(0.0, requests_per_user) / 86_400",
    ),
}
