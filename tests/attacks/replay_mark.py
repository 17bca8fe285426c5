"""An answer cell that makes every later cell swallow its errors and then print the test-end mark it
copies from the cell's own source: the guard alone is fooled (it runs in the same process); the
integrity review holds the marks for a person."""

import re as _re

_ip = get_ipython()  # noqa: F821 (runs inside an IPython kernel)
_orig = _ip.run_cell_async
_MARK = _re.compile(r'print\("(scalelab-' + r'test-end:[0-9a-f]+)"\)')


async def _replay(raw_cell, *args, **kwargs):
    body = "\n".join("    " + line for line in raw_cell.splitlines()) or "    pass"
    marks = "".join(f"print({m!r})\n" for m in _MARK.findall(raw_cell))
    code = "try:\n" + body + "\nexcept BaseException:\n    " + (marks.strip() or "pass") + "\n"
    kwargs["transformed_cell"] = _ip.transform_cell(code)
    kwargs["preprocessing_exc_tuple"] = None
    return await _orig(code, *args, **kwargs)


_ip.run_cell_async = _replay
