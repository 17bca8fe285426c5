"""Wrong answers to exercise 02 (requests per page view, servers per tier)."""

WRONG = {
    "counts kilobytes instead of requests": {
        "count-answer": """def count_requests(manifest, cache_state):
    static = manifest.shell.size_kb
    for asset in manifest.assets:
        if not (asset.fingerprinted and asset.path in cache_state):
            static += asset.size_kb
    return {"static": static, "api": len(manifest.api_calls)}
"""
    },
    "a cached fingerprinted asset still counted": {
        "count-answer": """def count_requests(manifest, cache_state):
    return {"static": 1 + len(manifest.assets), "api": len(manifest.api_calls)}
"""
    },
    "the HTML shell not re-fetched once cached": {
        "count-answer": """def count_requests(manifest, cache_state):
    static = 0 if manifest.shell.path in cache_state else 1
    for asset in manifest.assets:
        if not (asset.fingerprinted and asset.path in cache_state):
            static += 1
    return {"static": static, "api": len(manifest.api_calls)}
"""
    },
    "API calls counted once per session (cached answers skipped)": {
        "count-answer": """def count_requests(manifest, cache_state):
    static = 1
    for asset in manifest.assets:
        if not (asset.fingerprinted and asset.path in cache_state):
            static += 1
    api = [call for call in manifest.api_calls if call not in cache_state]
    return {"static": static, "api": len(api)}
"""
    },
    "round instead of rounding up": {
        "size-answer": """def size_tiers(
    page_views_per_s, requests, cpu_static, cpu_api, target_util, peak_factor
):
    peak = peak_factor * page_views_per_s
    cpu = {"static": cpu_static, "api": cpu_api}
    return {t: round(peak * requests[t] * cpu[t] / target_util) for t in cpu}
"""
    },
    "int + 1 (an exact whole number gets an extra server)": {
        "size-answer": """def size_tiers(
    page_views_per_s, requests, cpu_static, cpu_api, target_util, peak_factor
):
    peak = peak_factor * page_views_per_s
    cpu = {"static": cpu_static, "api": cpu_api}
    return {t: int(peak * requests[t] * cpu[t] / target_util) + 1 for t in cpu}
"""
    },
    "plain ceil without rounding (3.0000000000000004 servers get a 4th)": {
        "size-answer": """def size_tiers(
    page_views_per_s, requests, cpu_static, cpu_api, target_util, peak_factor
):
    peak = peak_factor * page_views_per_s
    cpu = {"static": cpu_static, "api": cpu_api}
    return {t: math.ceil(peak * requests[t] * cpu[t] / target_util) for t in cpu}
"""
    },
    "sized for the average, not the peak": {
        "size-answer": """def size_tiers(
    page_views_per_s, requests, cpu_static, cpu_api, target_util, peak_factor
):
    cpu = {"static": cpu_static, "api": cpu_api}
    return {t: math.ceil(page_views_per_s * requests[t] * cpu[t] / target_util) for t in cpu}
"""
    },
    "multiplied by the utilisation target instead of dividing": {
        "size-answer": """def size_tiers(
    page_views_per_s, requests, cpu_static, cpu_api, target_util, peak_factor
):
    peak = peak_factor * page_views_per_s
    cpu = {"static": cpu_static, "api": cpu_api}
    return {t: math.ceil(peak * requests[t] * cpu[t] * target_util) for t in cpu}
"""
    },
}
