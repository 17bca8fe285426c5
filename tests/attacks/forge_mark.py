"""An answer cell that makes every later cell swallow its errors and print a mark with the right
prefix and a made-up secret: a guard that checks only the prefix is fooled."""

_ip = get_ipython()  # noqa: F821 (runs inside an IPython kernel)
_orig = _ip.run_cell_async


async def _forge(raw_cell, *args, **kwargs):
    body = "\n".join("    " + line for line in raw_cell.splitlines()) or "    pass"
    forged = "print('scalelab-' + 'test-end:' + '0123456789abcdef' * 2)"
    code = "try:\n" + body + "\nexcept BaseException:\n    " + forged + "\n"
    kwargs["transformed_cell"] = _ip.transform_cell(code)
    kwargs["preprocessing_exc_tuple"] = None
    return await _orig(code, *args, **kwargs)


_ip.run_cell_async = _forge
