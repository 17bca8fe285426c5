"""An answer cell that cuts every later cell down to its last line: the line the guard adds, which
prints the real secret mark, so every test "passes" (found by a red team, through os.sys)."""

get_ipython().input_transformers_cleanup.append(lambda lines: lines[-1:])  # noqa: F821
