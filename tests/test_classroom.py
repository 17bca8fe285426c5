"""A whole class, end to end, in a temporary copy of the course: the teacher's workflow and bad submissions.

Roster → release → submissions by the exchange (fetch/submit/collect) and by an LMS download
(zip_collect) and straight into submitted/ → autograde → a hand grade → feedback → grades CSV.
Among the submissions are the ones that break graders: each must get the marks it earned on its other
questions, a note where it earned none, leave every submitted file byte-identical and the gradebook
consistent, and never stop the rest of the class.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from processes import daemon, double_fork, survivors
from submissions import points_of, reference_answers, write_submission
from testrun import IN_CI, once_per_run

from scalelab.teach.classroom import Classroom, ClassroomError
from scalelab.teach.grading import ROOT, graded_cells
from scalelab.teach.sandbox import sandbox_problem

NAME = "05-load-balancer"
ARTIFACTS = Path(__file__).parent / "artifacts" / "classroom"
RR = points_of(NAME, "rr")  # round robin's autograded points
HA = points_of(NAME, "ha")  # the health-aware balancer's
AUTO = RR + HA
RR_TESTS = [
    k
    for k, c in graded_cells(ROOT / "solutions" / NAME / f"{NAME}.ipynb").items()
    if k.startswith("rr-") and c["metadata"]["nbgrader"].get("grade")
]
PROBLEM = sandbox_problem()
if PROBLEM and not IN_CI:
    # Without the sandbox the hostile submission below could overwrite real files: do not run it.
    pytest.skip(
        f"the class test grades hostile submissions and needs a sandbox to contain them: {PROBLEM} "
        "(CI=true make test installs bubblewrap)",
        allow_module_level=True,
    )
pytestmark = pytest.mark.xdist_group("classroom")

RR_WRONG = """class RoundRobinBalancer(Balancer):
    def choose(self, servers):
        import random
        return random.randrange(len(servers))
"""
HA_IGNORES_HEALTH = """class HealthAwareBalancer(Balancer):
    turn = 0

    def choose(self, servers):
        self.turn += 1
        return (self.turn - 1) % len(servers)
"""


SHADOW_INT = """class int(int):
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

# YOUR CODE HERE
raise NotImplementedError()
"""


def _with_cells(released: dict, edit: dict[str, str | None]) -> dict:
    """A copy of a notebook with cells (by grade id) replaced, or deleted when the value is None."""
    notebook = json.loads(json.dumps(released))
    cells = []
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in edit:
            if edit[grade_id] is None:
                continue
            cell["source"] = edit[grade_id]
        cells.append(cell)
    notebook["cells"] = cells
    return notebook


# student → (what they hand in, round robin's marks out of RR, health-aware marks out of HA)
BAD = {
    "loops": ({"ha-answer": "while True:\n    pass\n"}, RR, 0),
    "raises": ({"ha-answer": "raise RuntimeError('my code is broken')\n"}, RR, 0),
    "deleted": ({"rr-visible": None}, RR - 1, HA),
    "edited_test": ({"rr-answer": RR_WRONG} | dict.fromkeys(RR_TESTS, "pass"), 0, HA),
    "edited_readonly": (
        {"imports": "from scalelab import Balancer, ServerView, check\ncheck = None"},
        RR,
        HA,
    ),
    "flood": ({"ha-answer": None}, RR, HA),  # the flood is added to the rr answer below
    "patched_helpers": ({"rr-answer": None}, 0, 0),  # held for a person from rr-answer on
    "patched_errors": ({"ha-answer": None}, RR, 0),
    # a blank round robin behind an int whose == is always true: it fools no test (hidden tests take
    # the built-ins back), so it is noted and earns what the rest of the notebook earns
    "shadows_int": ({"rr-answer": SHADOW_INT}, 0, HA),
    "replays_mark": ({"rr-answer": None}, 1, 0),  # held; rr-visible's 1 given back by hand
    "escape": ({"rr-answer": None}, RR, HA),
    "daemon": ({"rr-answer": None}, RR, HA),  # a setsid() daemon holding nbgrader's output
    "double_fork": ({"ha-answer": None}, RR, HA),  # a daemon by double fork and setsid()
    "kernel_exits": ({"ha-answer": None}, RR, 0),  # os._exit() after defining the answer
    "kernel_killed": ({"rr-answer": None}, 0, HA),  # SIGKILL before defining the answer
    "unknown_id": ({}, RR, HA),  # an extra cell with a grade id the exercise does not have
    "duplicate": ({}, RR, HA),  # the rr answer cell copied and pasted, metadata and all
}
MARKER = f"scalelab-class-{uuid.uuid4().hex}"  # in the command line of every daemon below
DAEMON = daemon(MARKER)
DOUBLE_FORK = double_fork(MARKER)


def _copy_pasted(notebook: dict, grade_id: str, source: str | None = None) -> dict:
    """The cell ``grade_id`` followed by a copy of it, as JupyterLab pastes one: all metadata
    copied, a new cell id; the copy's source is ``source`` (or the same)."""
    notebook = json.loads(json.dumps(notebook))
    at = next(
        k
        for k, cell in enumerate(notebook["cells"])
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    )
    copy = json.loads(json.dumps(notebook["cells"][at]))
    copy["id"] = uuid.uuid4().hex[:8]
    if source is not None:
        copy["source"] = source
    notebook["cells"].insert(at + 1, copy)
    return notebook


def _with_unknown_cell(notebook: dict) -> dict:
    """A pasted answer cell whose grade id was renamed to one the exercise does not have."""
    notebook = _copy_pasted(notebook, "rr-answer", "notes = 'my own cell'\n")
    at = 1 + next(
        k
        for k, cell in enumerate(notebook["cells"])
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "rr-answer"
    )
    notebook["cells"][at]["metadata"]["nbgrader"]["grade_id"] = "my-own-notes"
    return notebook


FLOOD = "\nprint('x' * 100_000_000)\n"
PATCH_HELPERS = """
from scalelab import balancer as _balancer
from scalelab import check as _check


class _Yes:
    def __eq__(self, other):
        return True


_check.equal = lambda *a, **k: print("✔ (faked)")
_balancer.picks = lambda *a, **k: _Yes()
"""
PATCH_ERRORS = (Path(__file__).parent / "attacks" / "swallow_errors.py").read_text()
REPLAY_MARK = (Path(__file__).parent / "attacks" / "replay_mark.py").read_text()
ESCAPE = """
from pathlib import Path

secrets = [p.read_bytes()[:10] for p in Path("/etc").glob("host*") if p.is_file()]
course = Path({course!r})
print("course files visible:", sorted(str(p) for p in course.rglob("*") if p.is_file())[:5])
for up in ["..", "../..", "../../..", "../../../..", str(course)]:
    for depth in range(5):  # every notebook up to 4 folders down (a ** search of / is too slow)
        for path in Path(up).glob("*/" * depth + "*.ipynb"):
            path.write_text("overwritten by a hostile submission")
    for db in Path(up).glob("*.db"):
        db.write_bytes(b"")
"""


def _digests(folder: Path) -> dict[Path, str]:
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> dict:
    once_per_run("the class test's grading")  # the slowest set-up of the run: never twice
    base = tmp_path_factory.mktemp("class")
    course = base / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    room = Classroom(course, exchange=exchange, timeout=5, contain=True)
    started = time.monotonic()

    students = ["good", "hub_student", "lms_student", *BAD, "badjson", "missing"]
    roster = base / "roster.csv"
    with roster.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for s in students:
            writer.writerow([s, s.title(), "Student", f"{s}@example.edu"])
    assert room.import_roster(roster) == len(students)
    room.release(NAME)
    released = json.loads((course / "exercises" / NAME / f"{NAME}.ipynb").read_text())
    # every submission answers the written question too (a blank one scores 0 by itself)
    answers = {**reference_answers(NAME), "redundancy-answer": "Two balancers share a floating IP."}

    # 1. Through the exchange: the student fetches, works, submits; the teacher collects.
    home = base / "home" / "hub_student"
    home.mkdir(parents=True)
    as_student = {"LOGNAME": "hub_student", "USER": "hub_student", "HOME": str(home)}
    room.nbgrader("fetch_assignment", NAME, "--course=scalelab", cwd=home, env=as_student)
    fetched = home / NAME / f"{NAME}.ipynb"
    write_submission(fetched, answers, fetched)
    room.nbgrader(
        "submit", NAME, "--course=scalelab", "--student=hub_student", cwd=home, env=as_student
    )
    room.collect(NAME)

    # 2. From an LMS download: a zip whose name has an underscore, with a folder inside.
    downloads = base / "downloads"
    lms = downloads / f"{NAME}_lms_student_attempt_2026-11-20-10-00-00_{NAME}.ipynb"
    write_submission(course / "exercises" / NAME / f"{NAME}.ipynb", answers, lms)
    with zipfile.ZipFile(downloads / "gradebook_download.zip", "w") as z:
        z.write(lms, f"gradebook_download/{lms.name}")
    collected = room.zip_collect(NAME, [downloads / "gradebook_download.zip"])
    assert collected.filed == {
        f"gradebook_download.zip/gradebook_download/{lms.name}": "lms_student"
    }

    # 3. Straight into submitted/, as a teacher unpacking files by hand would: the good and the bad.
    def hand_in(student: str, notebook: dict | str | None) -> None:
        folder = course / "submitted" / student / NAME
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, dict):
            text = json.dumps(notebook, indent=1)
            (folder / f"{NAME}.ipynb").write_text(text)
        elif isinstance(notebook, str):
            (folder / f"{NAME}.ipynb").write_text(notebook)
        else:
            (folder / "my answers.txt").write_text("I wrote my answers in a text file")

    full = _with_cells(released, answers)
    hand_in("good", full)
    extra = {
        "flood": {"rr-answer": answers["rr-answer"] + FLOOD},
        "patched_helpers": {"rr-answer": RR_WRONG + PATCH_HELPERS},
        "patched_errors": {"ha-answer": HA_IGNORES_HEALTH + PATCH_ERRORS},
        "replays_mark": {"rr-answer": RR_WRONG + REPLAY_MARK},
        "escape": {"rr-answer": answers["rr-answer"] + ESCAPE.format(course=str(course))},
        "daemon": {"rr-answer": answers["rr-answer"] + DAEMON},
        "double_fork": {"ha-answer": answers["ha-answer"] + DOUBLE_FORK},
        "kernel_exits": {"ha-answer": answers["ha-answer"] + "\nimport os\nos._exit(1)\n"},
        "kernel_killed": {
            "rr-answer": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
            + answers["rr-answer"]
        },
    }
    reshape = {
        "unknown_id": _with_unknown_cell,
        "duplicate": lambda nb: _copy_pasted(
            nb, "rr-answer", answers["rr-answer"] + "\nprint('my second try')\n"
        ),
    }
    for student, (edit, _, _) in BAD.items():
        changes = {k: v for k, v in edit.items() if v is not None or k not in answers}
        notebook = _with_cells(full, changes | extra.get(student, {}))
        hand_in(student, reshape.get(student, lambda nb: nb)(notebook))
    hand_in("badjson", '{"cells": [ this is not json')
    hand_in("missing", None)

    before = _digests(course / "submitted")
    grading_started = time.monotonic()
    outcomes = {o.student: o for o in room.autograde(NAME, progress=None)}
    grading_seconds = time.monotonic() - grading_started
    left_running = survivors(MARKER)
    after = _digests(course / "submitted")

    # The class's table, for a person to read (pytest -s shows it; CI keeps it as an artefact).
    table = [
        f"class of {len(students)}: grading took {grading_seconds:.1f} s, "
        f"from roster to grading {time.monotonic() - started:.1f} s"
    ]
    table += [f"  {o.student:<16} {o.summary():<44} {o.note}" for o in outcomes.values()]
    print("\n" + "\n".join(table))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "autograde-table.txt").write_text("\n".join(table) + "\n", encoding="utf-8")
    room.mark(NAME, "good", "redundancy-answer", 2, comment="Right: VRRP with a floating IP.")
    # A held test cell's mark, given back by hand after a person has read the notebook.
    room.mark(NAME, "replays_mark", "rr-visible", 1)
    pages = room.feedback(NAME)
    grades = list(csv.DictReader(room.export(base / "grades.csv").open()))
    return {
        "room": room,
        "course": course,
        "students": students,
        "outcomes": outcomes,
        "before": before,
        "after": after,
        "pages": pages,
        "grades": grades,
        "grading_seconds": grading_seconds,
        "left_running": left_running,
    }


def _cell_scores(room: Classroom, student: str) -> dict[str, float]:
    with room.gradebook() as gb:
        notebook = gb.find_submission_notebook(NAME, NAME, student)
        return {g.name: g.score for g in notebook.grades}


def _marks(scores: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in scores.items() if k.startswith(prefix) and not k.endswith("answer"))


def test_every_submission_was_collected_and_considered(klass: dict) -> None:
    assert sorted(klass["outcomes"]) == sorted(klass["students"])


def test_good_submissions_from_every_route_score_every_autograded_point(klass: dict) -> None:
    for student in ("good", "hub_student", "lms_student"):
        outcome = klass["outcomes"][student]
        assert outcome.score == AUTO, outcome


@pytest.mark.parametrize("student", list(BAD))
def test_bad_submission_keeps_the_marks_it_earned(klass: dict, student: str) -> None:
    _, rr, ha = BAD[student]
    scores = _cell_scores(klass["room"], student)
    assert (_marks(scores, "rr-"), _marks(scores, "ha-")) == (rr, ha), scores


NOTES = {
    "loops": "cell ha-answer ran too long and was stopped",
    "deleted": "the test cell rr-visible was deleted: its points are lost",
    "edited_test": "the test cell rr-visible was edited: it was graded as originally written",
    "edited_readonly": "the read-only cell imports was edited: it was graded as originally written",
    "flood": "the output of cell rr-answer was too long and was cut",
    "patched_errors": "held for a person to check, because cell ha-answer uses `get_ipython`",
    "patched_helpers": "held for a person to check, because cell rr-answer patches `_check.equal`",
    "shadows_int": "cell rr-answer redefines the built-in `int`: no test could be fooled by it",
    "replays_mark": "cell rr-answer uses `get_ipython`",
    "kernel_exits": "the kernel died while running cell ha-answer (it exited with status 1)",
    "kernel_killed": "the kernel died while running cell rr-answer (it was killed by SIGKILL",
    "unknown_id": "cell my-own-notes is not part of this exercise (unknown grade id)",
    "duplicate": "cell rr-answer appears twice (copy and paste?): both copies were run",
    "badjson": "is not a valid notebook",
    "missing": "was handed in",
}


@pytest.mark.parametrize("student", list(NOTES))
def test_each_bad_submission_gets_a_clear_note_in_its_feedback(klass: dict, student: str) -> None:
    assert NOTES[student] in klass["outcomes"][student].note
    page = next(p for p in klass["pages"] if p.parts[-3] == student)
    assert NOTES[student] in page.read_text()


def test_clean_submissions_get_no_note(klass: dict) -> None:
    for student in ("good", "hub_student", "lms_student", "daemon", "double_fork"):
        assert klass["outcomes"][student].note == ""
    # An answer that raises is named, so that the tests failing after it are explained.
    assert klass["outcomes"]["raises"].note == (
        "answer cell ha-answer stopped with RuntimeError: my code is broken; "
        "the tests that use it failed for that reason"
    )


def test_no_process_a_submission_started_survives_grading(klass: dict) -> None:
    assert klass["left_running"] == [], f"processes with {MARKER} outlived grading"
    # A daemon that holds nbgrader's output open must not make grading wait for it (1000 s).
    assert klass["grading_seconds"] < 600


def test_hidden_tests_are_not_fooled_by_patched_helpers_or_hidden_errors(klass: dict) -> None:
    helpers = _cell_scores(klass["room"], "patched_helpers")
    assert all(helpers[k] == 0 for k in RR_TESTS), helpers
    errors = _cell_scores(klass["room"], "patched_errors")
    assert all(v == 0 for k, v in errors.items() if k.startswith("ha-") and k != "ha-answer")


def test_unreadable_and_missing_notebooks_get_a_note_and_no_half_record(klass: dict) -> None:
    outcomes = klass["outcomes"]
    assert outcomes["badjson"].score is None
    assert "not a valid notebook" in outcomes["badjson"].note
    assert outcomes["missing"].score is None
    assert (
        "no 05-load-balancer.ipynb was handed in (found: my answers.txt)"
        in outcomes["missing"].note
    )
    with klass["room"].gradebook() as gb:
        submitted = {s.student.id for s in gb.find_assignment(NAME).submissions}
    assert submitted == set(klass["students"]) - {"badjson", "missing"}


def test_every_submitted_file_is_byte_identical_after_grading(klass: dict) -> None:
    assert klass["after"] == klass["before"]
    notebooks = [p for p in klass["before"] if p.suffix == ".ipynb"]
    assert len(notebooks) == len(klass["students"]) - 1  # all but the one who handed in none


def test_a_flood_of_output_is_cut(klass: dict) -> None:
    graded = klass["course"] / "autograded" / "flood" / NAME / f"{NAME}.ipynb"
    assert graded.stat().st_size < 1_000_000
    assert "characters cut by the grader" in graded.read_text()


def test_an_escaping_submission_damaged_nothing_outside_its_scratch_folder(klass: dict) -> None:
    assert klass["outcomes"]["escape"].score == AUTO
    assert klass["outcomes"]["good"].score == AUTO
    for graded in (klass["course"] / "autograded").glob(f"*/{NAME}/{NAME}.ipynb"):
        assert "overwritten by a hostile submission" not in graded.read_text()[:200]
    # Inside the sandbox the real course folder (gradebook, solutions, other students) looks empty.
    escaped = klass["course"] / "autograded" / "escape" / NAME / f"{NAME}.ipynb"
    assert "course files visible: []" in escaped.read_text()


def test_a_teacher_gives_back_a_held_mark_by_hand(klass: dict) -> None:
    assert klass["outcomes"]["replays_mark"].score == 0
    restored = klass["room"].outcome(NAME, "replays_mark").summary()
    assert restored.startswith(f"1/{AUTO:g} autograded"), restored


def test_hand_grade_feedback_and_export(klass: dict) -> None:
    with klass["room"].gradebook() as gb:
        assert gb.find_submission(NAME, "good").score == AUTO + 2
    pages = {p.parts[-3]: p for p in klass["pages"]}
    assert set(pages) == set(klass["students"])
    assert "could not be graded" in pages["badjson"].read_text()
    assert "VRRP with a floating IP" in pages["good"].read_text()
    for page in klass["pages"]:  # no hidden test code, no secret test-end marks
        html = page.read_text()
        assert "HIDDEN TESTS" not in html and "_picks(" not in html
        assert "scalelab-test-end" not in html
    rows = {row["student_id"]: row for row in klass["grades"]}
    assert set(rows) == set(klass["students"])
    assert float(rows["good"]["score"]) == AUTO + 2
    assert float(rows["missing"]["score"]) == 0


def test_a_bad_roster_and_a_wrong_hand_grade_are_refused_clearly(
    klass: dict, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,mail\nann,ann@example.edu\n")
    with pytest.raises(ClassroomError, match="with an 'id' column"):
        klass["room"].import_roster(roster)
    with pytest.raises(ClassroomError, match="worth 0 to 2 points, got 5"):
        klass["room"].mark(NAME, "good", "redundancy-answer", 5)
    with pytest.raises(ClassroomError, match="has no nbgrader_config.py"):
        Classroom(tmp_path)
    with pytest.raises(
        ClassroomError, match="graded students are .*good.*; questions graded by hand"
    ):
        klass["room"].mark(NAME, "alice", "redundancy-answer", 1)
    with pytest.raises(ClassroomError, match="no roster file"):
        klass["room"].import_roster(tmp_path / "nope.csv")
    assert (
        klass["outcomes"]["good"].summary()
        == f"{AUTO:g}/{AUTO:g} autograded · 2 points to grade by hand"
    )
    assert (
        klass["room"].outcome(NAME, "good").summary()
        == f"{AUTO:g}/{AUTO:g} autograded · by hand 2/2"
    )
    # a deleted test cell is left unscored by nbgrader (needs_manual_grade), but it is no written answer
    deleted = f"{AUTO - 1:g}/{AUTO:g} autograded · 2 points to grade by hand"
    assert klass["outcomes"]["deleted"].summary() == deleted
    assert klass["outcomes"]["badjson"].summary() == "not graded"
