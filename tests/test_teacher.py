"""The teacher's steps that need no sandbox: an LMS download filed by file name, hand marks kept apart.

A course with a roster and two released exercises, in a temporary folder. Nothing here runs hostile
code (tests/test_classroom.py does, in a sandbox), so grading runs uncontained and the tests run on any
machine.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from submissions import reference_answers, write_submission

from scalelab.teach import cli
from scalelab.teach.classroom import Classroom, ClassroomError
from scalelab.teach.grading import ROOT

NAME = "05-load-balancer"
WRITTEN = "01-single-server"  # 6 autograded points and a written answer worth 2
STUDENTS = ["leej", "lee_j", "kim", "park"]
pytestmark = pytest.mark.xdist_group("teacher")


def _lms(student: str, time: str = "2026-11-20-10-00-00", file: str = f"{NAME}.ipynb") -> str:
    return f"{NAME}_{student}_attempt_{time}_{file}"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Classroom:
    course = tmp_path_factory.mktemp("teacher") / "my_course"  # an underscore in the path, too
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for name in (NAME, WRITTEN):
        shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
    roster = course / "roster.csv"
    with roster.open("w", newline="") as f:
        csv.writer(f).writerows([["id"], *[[s] for s in STUDENTS]])
    room = Classroom(course, contain=False)
    room.import_roster(roster)
    # generate only: release without --exchange would use an exchange the machine configures
    # (a hub's /etc/jupyter), and a test must never publish to a real class
    for name in (NAME, WRITTEN):
        room.nbgrader("generate_assignment", name, "--force")
    return room


@pytest.fixture(scope="module")
def download(room: Classroom, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An LMS download: a zip with a folder inside, and one notebook downloaded on its own."""
    base = tmp_path_factory.mktemp("downloads")
    released = room.root / "exercises" / NAME / f"{NAME}.ipynb"
    notebook = write_submission(released, reference_answers(NAME), base / "answers.ipynb")
    text = notebook.read_text()
    archive = base / "gradebook_download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"gradebook_download/{_lms('leej')}", text)
        z.writestr(_lms("lee_j"), text)
        z.writestr(f"gradebook_download/{_lms('leej', file='')[:-1]}.txt", "Name: Lee J\n")
        z.writestr(f"{NAME}.ipynb", text)  # a file the LMS did not name
        z.writestr(_lms("mallory"), text)  # not in the roster
        z.writestr(_lms("park", file="lab5.ipynb"), text)  # filed, but under the wrong name
    single = base / _lms("kim", time="2026-11-21-09-30-00")
    single.write_text(text)
    return {"zip": archive, "single": single}


def test_zip_collect_files_each_submission_under_the_student_its_file_name_names(
    room: Classroom, download: dict
) -> None:
    single = download["single"]
    report = room.zip_collect(NAME, [download["zip"], single])
    assert room.submissions(NAME) == ["kim", "lee_j", "leej", "park"]
    for student in ("kim", "lee_j", "leej"):
        assert (room.root / "submitted" / student / NAME / f"{NAME}.ipynb").is_file()
    zipped = "gradebook_download.zip/"
    assert report.filed == {
        f"{zipped}gradebook_download/{_lms('leej')}": "leej",
        f"{zipped}{_lms('lee_j')}": "lee_j",
        f"{zipped}{_lms('park', file='lab5.ipynb')}": "park",
        single.name: "kim",
    }
    assert (
        "as lab5.ipynb, not 05-load-balancer.ipynb"
        in report.notes[zipped + _lms("park", file="lab5.ipynb")]
    )
    skipped = report.skipped
    metadata = f"{zipped}gradebook_download/{NAME}_leej_attempt_2026-11-20-10-00-00.txt"
    assert set(skipped) == {metadata, f"{zipped}{NAME}.ipynb", f"{zipped}{_lms('mallory')}"}
    assert skipped[metadata] == "not a notebook (.txt): only .ipynb files are collected"
    assert "does not match the LMS file name pattern" in skipped[f"{zipped}{NAME}.ipynb"]
    assert "mallory is not in the roster" in skipped[f"{zipped}{_lms('mallory')}"]
    # only the teacher reads or changes what was filed (nobody else's until it is graded)
    submitted = room.root / "submitted"
    opened = [p for p in [submitted, *submitted.rglob("*")] if p.stat().st_mode & 0o077]
    assert opened == []


def test_teach_zip_collect_names_every_file_it_skipped_and_fails_when_a_notebook_was_left(
    room: Classroom, download: dict, capsys: pytest.CaptureFixture
) -> None:
    argv = ["teach", "--course", str(room.root), "zip-collect", NAME, str(download["zip"])]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    zipped = "gradebook_download.zip/"
    assert f"filed   leej ← {zipped}gradebook_download/{_lms('leej')}\n" in out
    assert f"skipped {zipped}{NAME}.ipynb: its name does not match the LMS file name pattern" in out
    assert f"skipped {zipped}{_lms('mallory')}: student mallory is not in the roster" in out
    assert "2 notebooks were not filed" in out


def test_teach_zip_collect_refuses_a_missing_or_broken_download_in_one_line(
    room: Classroom, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    course = ["teach", "--course", str(room.root), "zip-collect", NAME]
    assert cli.main([*course, str(tmp_path / "gradebook_download.zip")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: no file {tmp_path / 'gradebook_download.zip'}: give the LMS download "
        "(a .zip file, or the notebooks themselves)"
    )
    broken = tmp_path / "broken.zip"
    broken.write_text("not a zip")
    assert cli.main([*course, str(broken)]) == 1
    assert capsys.readouterr().err.strip() == f"error: {broken} is not a zip file"


def test_regrading_after_a_hand_mark_keeps_automatic_and_hand_marks_apart(
    room: Classroom, capsys: pytest.CaptureFixture
) -> None:
    released = room.root / "exercises" / WRITTEN / f"{WRITTEN}.ipynb"
    submitted = room.root / "submitted" / "park" / WRITTEN / f"{WRITTEN}.ipynb"
    write_submission(released, {**reference_answers(WRITTEN), "target-answer": "One."}, submitted)

    first = room.autograde(WRITTEN, progress=None)[0]
    assert (first.score, first.max_score, first.hand_score, first.hand_waiting) == (6, 6, 0, 2)
    assert first.summary() == "6/6 autograded · 2 points to grade by hand"

    assert (
        cli.main(
            ["teach", "--course", str(room.root), "mark", WRITTEN, "park", "target-answer", "1.5"]
        )
        == 0
    )
    assert "park: target-answer = 1.5 → 6/6 autograded · by hand 1.5/2" in capsys.readouterr().out
    with room.gradebook() as gb:  # as the Formgrader does: a marked answer no longer waits
        assert not gb.find_grade("target-answer", WRITTEN, WRITTEN, "park").needs_manual_grade
    assert room.outcome(WRITTEN, "park").summary() == "6/6 autograded · by hand 1.5/2"

    again = room.autograde(WRITTEN, progress=None)[0]
    assert (again.score, again.max_score, again.hand_score, again.hand_waiting) == (6, 6, 1.5, 0)
    # the same answers graded again: the hand mark stands, nothing to look at again
    assert again.summary() == "6/6 autograded · by hand 1.5/2"
    with room.gradebook() as gb:
        assert gb.find_submission(WRITTEN, "park").score == 7.5
        assert not gb.find_grade("target-answer", WRITTEN, WRITTEN, "park").needs_manual_grade

    # a new submission: nbgrader asks for the hand mark to be looked at again (the answer may be new)
    write_submission(released, {**reference_answers(WRITTEN), "target-answer": "Two."}, submitted)
    resubmitted = room.autograde(WRITTEN, progress=None)[0]
    assert resubmitted.summary() == "6/6 autograded · by hand 1.5/2 (to review)"


def test_a_written_answer_left_blank_scores_0_by_itself_and_waits_for_no_one(
    room: Classroom,
) -> None:
    """nbgrader scores a written answer handed back as it was handed out 0 (and the Formgrader does
    not list it): the outcome says so instead of "points to grade by hand"."""
    released = room.root / "exercises" / WRITTEN / f"{WRITTEN}.ipynb"
    submitted = room.root / "submitted" / "kim" / WRITTEN / f"{WRITTEN}.ipynb"
    assert "target-answer" not in reference_answers(WRITTEN)  # the written answer stays as it was
    write_submission(released, reference_answers(WRITTEN), submitted)
    kim = next(o for o in room.autograde(WRITTEN, progress=None) if o.student == "kim")
    assert (kim.hand_waiting, kim.hand_blank) == (0, 2)
    assert kim.summary() == "6/6 autograded · written answer left blank: 0/2"
    with room.gradebook() as gb:
        grade = gb.find_grade("target-answer", WRITTEN, WRITTEN, "kim")
        assert (grade.auto_score, grade.needs_manual_grade) == (0, False)
    room.mark(WRITTEN, "kim", "target-answer", 0.5)  # a teacher may still give it points
    assert room.outcome(WRITTEN, "kim").summary() == "6/6 autograded · by hand 0.5/2"
    shutil.rmtree(submitted.parent.parent)


def test_teach_autograde_fails_when_a_submission_could_not_be_graded(
    room: Classroom, capsys: pytest.CaptureFixture
) -> None:
    """Like zip-collect: a script that goes on to feedback and export must notice."""
    broken = room.root / "submitted" / "zz_broken" / WRITTEN / f"{WRITTEN}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("not a notebook")
    try:
        assert cli.main(["teach", "--course", str(room.root), "autograde", WRITTEN]) == 1
        out = capsys.readouterr().out.splitlines()
        assert out[-1].startswith("1 of ") and out[-1].endswith(
            "submissions was not graded (zz_broken): each line above says why, and so will their "
            "feedback"
        ), out[-1]
    finally:
        shutil.rmtree(broken.parent.parent)


def test_an_outcome_without_a_submission_says_so(room: Classroom) -> None:
    with pytest.raises(ClassroomError, match="no graded submission of 01-single-server by nobody"):
        room.outcome(WRITTEN, "nobody")


def test_outcome_summaries() -> None:
    from scalelab.teach.classroom import Outcome

    assert Outcome("a", 9, 9).summary() == "9/9 autograded"
    assert Outcome("a", 9, 9, hand_max=2, hand_waiting=2).summary() == (
        "9/9 autograded · 2 points to grade by hand"
    )
    both = Outcome("a", 7, 9, hand_score=1, hand_max=3, hand_waiting=2)
    assert both.summary() == "7/9 autograded · by hand 1/1 · 2 points to grade by hand"
    assert Outcome("a", None, 9, hand_max=2, hand_waiting=2).summary() == "not graded"
    blank = Outcome("a", 4, 9, hand_max=3, hand_waiting=1, hand_blank=2)
    assert (
        blank.summary()
        == "4/9 autograded · 1 point to grade by hand · written answer left blank: 0/2"
    )
    assert json.loads(json.dumps(Outcome("a", 9, 9).__dict__))["student"] == "a"
