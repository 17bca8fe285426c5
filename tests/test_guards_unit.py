"""The grading guards one preprocessor at a time, in this process, on notebooks built by hand.

tests/test_guards.py and the class test run them inside nbgrader (a subprocess), which shows they work
together but lets a mutated guard go unseen by ``make mutants``; these pin each one's contract.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from scalelab.teach.guards import (
    CapOutput,
    MarkTestEnds,
    RequireTestEnds,
    ShortenHiddenTracebacks,
    add_note,
    is_test_cell,
)

SECRET = "0123456789abcdef0123456789abcdef"
MARK = f'print("scalelab-test-end:{SECRET}")'


def cell(source: str, kind: str = "test", outputs: list | None = None):
    """A code cell as nbgrader marks it: ``test`` (graded), ``answer`` (solution), ``both``, ``plain``."""
    made = new_code_cell(source, outputs=outputs or [])
    flags = {"test": (True, False), "answer": (False, True), "both": (True, True)}.get(kind)
    if flags:
        made.metadata["nbgrader"] = {"grade": flags[0], "solution": flags[1], "grade_id": kind}
    return made


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def error(ename: str, evalue: str, traceback: list[str] | None = None):
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [])


def test_a_test_cell_is_graded_code_that_is_no_answer() -> None:
    assert is_test_cell(cell("assert True"))
    assert not is_test_cell(cell("x = 1", "answer"))
    assert not is_test_cell(cell("x = 1", "both"))
    assert not is_test_cell(cell("x = 1", "plain"))
    graded_text = new_markdown_cell("why?")
    graded_text.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "w"}
    assert not is_test_cell(graded_text)


def test_notes_collect_in_the_notebooks_metadata() -> None:
    nb = new_notebook()
    add_note(nb, "the kernel died")
    add_note(nb, "cell x appears twice")
    assert nb.metadata["scalelab"]["notes"] == ["the kernel died", "cell x appears twice"]


def test_the_mark_ends_each_test_cell_and_only_test_cells() -> None:
    nb = new_notebook(cells=[cell("\n\nassert f() == 1  \n\n"), cell("x = 1\n", "answer")])
    MarkTestEnds().preprocess(nb, {})
    test, answer = nb.cells
    body, last = test.source.rsplit("\n", 1)
    assert body == "\n\nassert f() == 1  ", (
        f"expected the cell kept, only newlines trimmed: {body!r}"
    )
    assert last.startswith('print("scalelab-test-end:') and len(last) == len(MARK)
    assert answer.source == "x = 1\n"


def test_reached_needs_the_whole_secret_in_printed_output() -> None:
    assert RequireTestEnds.reached([stream(f"ok\nscalelab-test-end:{SECRET}\n")], SECRET)
    assert not RequireTestEnds.reached([stream("scalelab-test-end:")], SECRET)
    assert not RequireTestEnds.reached([new_output("stream", name="stdout")], SECRET)
    assert not RequireTestEnds.reached([error("E", f"scalelab-test-end:{SECRET}")], SECRET)


def test_a_test_cell_that_reached_its_end_is_shown_as_written() -> None:
    test = cell(f"assert True\n{MARK}", outputs=[stream(f"✔ fine\nscalelab-test-end:{SECRET}\n")])
    nb = new_notebook(cells=[test])
    RequireTestEnds().preprocess(nb, {})
    assert test.source == "assert True"
    assert [o.text for o in test.outputs] == ["✔ fine\n"]


def test_a_test_cell_that_stopped_silently_earns_a_grading_error() -> None:
    test = cell(f"assert True\n{MARK}", outputs=[stream("✔ fine\n")])
    nb = new_notebook(cells=[test])
    RequireTestEnds().preprocess(nb, {})
    assert [o.output_type for o in test.outputs] == ["stream", "error"]
    assert test.outputs[1].ename == "GradingError" and test.outputs[1].traceback == []
    assert test.outputs[1].evalue.startswith("this test cell stopped before its end without")


def test_a_test_cell_that_failed_keeps_its_error_without_the_mark_line() -> None:
    quoted = f"Traceback\n  line 1\n----> 2 {MARK}\nAssertionError"
    test = cell(f"assert False\n{MARK}", outputs=[error("AssertionError", "no", [quoted])])
    nb = new_notebook(cells=[test])
    RequireTestEnds().preprocess(nb, {})
    assert [o.ename for o in test.outputs] == ["AssertionError"]
    assert test.outputs[0].traceback == ["Traceback\n  line 1\nAssertionError"]


def test_cells_that_are_not_tests_are_left_alone_even_with_a_mark_like_line() -> None:
    answer = cell(f"x = 1\n{MARK}", "answer", outputs=[stream("hi\n")])
    nb = new_notebook(cells=[answer])
    RequireTestEnds().preprocess(nb, {})
    assert answer.source == f"x = 1\n{MARK}" and [o.text for o in answer.outputs] == ["hi\n"]


def test_cap_output_cuts_every_kind_of_long_text_and_nothing_else() -> None:
    cap = CapOutput(max_chars=10)
    long, exact = "x" * 25, "y" * 10
    rich = new_output(
        "execute_result", data={"text/plain": long, "image/png": long}, execution_count=1
    )
    outputs = [stream(long), stream(exact), rich, error("ValueError", long)]
    c, _ = cap.preprocess_cell(cell("print()", "plain", outputs), {}, 0)
    cut = "x" * 10 + "\n… 15 characters cut by the grader"
    assert c.outputs[0].text == cut and c.outputs[1].text == exact
    assert c.outputs[2].data["text/plain"] == cut and c.outputs[2].data["image/png"] == long
    assert c.outputs[3].evalue == cut
    markdown, _ = cap.preprocess_cell(new_markdown_cell("# hi"), {}, 0)
    assert markdown.source == "# hi"


def test_feedback_shows_only_the_error_line_of_a_hidden_test() -> None:
    frames = ["Traceback", "  _want = 42  # the hidden answer", "AssertionError: no"]
    hidden = cell("### BEGIN HIDDEN TESTS\nassert f() == 42\n### END HIDDEN TESTS")
    hidden.outputs = [stream("partial\n"), error("AssertionError", "expected 42, got 1", frames)]
    visible = cell("assert f() == 42", outputs=[error("AssertionError", "no", list(frames))])
    shorten = ShortenHiddenTracebacks()
    shorten.preprocess_cell(hidden, {}, 0)
    shorten.preprocess_cell(visible, {}, 1)
    assert hidden.outputs[1].traceback == ["AssertionError: expected 42, got 1"]
    assert hidden.outputs[0].text == "partial\n"
    assert visible.outputs[0].traceback == frames
