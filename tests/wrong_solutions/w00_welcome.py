"""Wrong answers to exercise 00 (average and peak QPS)."""

GOOD_CHECK = """
    if daily_active_users < 0 or requests_per_user < 0:
        raise ValueError("inputs must be 0 or more")
"""

WRONG = {
    "floor division rounds small loads to zero": {
        "qps-answer": f"""
def average_qps(daily_active_users, requests_per_user):
{GOOD_CHECK}
    return daily_active_users * requests_per_user // 86_400

def peak_qps(daily_active_users, requests_per_user):
    return 2 * average_qps(daily_active_users, requests_per_user)
"""
    },
    "divides by the seconds of an hour": {
        "qps-answer": f"""
def average_qps(daily_active_users, requests_per_user):
{GOOD_CHECK}
    return daily_active_users * requests_per_user / 3_600

def peak_qps(daily_active_users, requests_per_user):
    return 2 * average_qps(daily_active_users, requests_per_user)
"""
    },
    "peak equals the average": {
        "qps-answer": f"""
def average_qps(daily_active_users, requests_per_user):
{GOOD_CHECK}
    return daily_active_users * requests_per_user / 86_400

def peak_qps(daily_active_users, requests_per_user):
    return average_qps(daily_active_users, requests_per_user)
"""
    },
    "accepts negative users": {
        "qps-answer": """
def average_qps(daily_active_users, requests_per_user):
    return daily_active_users * requests_per_user / 86_400

def peak_qps(daily_active_users, requests_per_user):
    return 2 * average_qps(daily_active_users, requests_per_user)
"""
    },
}
