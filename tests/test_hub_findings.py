"""A class on JupyterHub (issue 11 §2): what went wrong under a hub's setup, each pinned by a test, and
``scalelab teach hub-config``, which writes the configuration a hub needs.

Everything runs in temporary folders with HOME pointed at a temporary home (JUPYTER_CONFIG_DIR unset,
JUPYTER_CONFIG_PATH a temporary folder where a test needs the "system" configuration): nothing here
reads or writes the real ~/.jupyter or /etc/jupyter. The end-to-end hub test is tests/test_hub.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from submissions import reference_answers, write_submission

from scalelab.teach import cli
from scalelab.teach.classroom import Classroom
from scalelab.teach.grading import ROOT

NAME = "01-single-server"  # 6 autograded points and a written answer (target-answer) worth 2
STUDENTS = ["park", "kim", "lee", "nobody", "daemon"]  # nobody and daemon are accounts here, too
BIN = Path(sys.executable).parent  # where this environment's scalelab and nbgrader live
pytestmark = pytest.mark.xdist_group("hubfindings")


@pytest.fixture(autouse=True)
def plain_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own for every test: no ~/.jupyter but what the test writes there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("JUPYTER_CONFIG_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "no-system-config"))
    return home


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course with a roster and NAME generated (exercises/ and the gradebook), made once."""
    course = tmp_path_factory.mktemp("hubfindings") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / NAME, course / "solutions" / NAME)
    roster = course / "roster.csv"
    with roster.open("w", newline="") as f:
        csv.writer(f).writerows([["id"], *[[s] for s in STUDENTS]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(course.parent))  # no ~/.jupyter there
        mp.delenv("JUPYTER_CONFIG_DIR", raising=False)
        mp.setenv("JUPYTER_CONFIG_PATH", str(course.parent / "none"))
        room = Classroom(course, contain=False)
        room.import_roster(roster)
        room.nbgrader("generate_assignment", NAME, "--force")
    return course


@pytest.fixture
def course(template: Path, tmp_path: Path) -> Path:
    """A copy of the template course of this test's own (its gradebook too)."""
    return Path(shutil.copytree(template, tmp_path / "course"))


def _teach(course: Path, *args: str) -> list[str]:
    return ["teach", "--course", str(course), *args]


def _submit(course: Path, student: str, answers: dict[str, str] | None = None) -> Path:
    released = course / "exercises" / NAME / f"{NAME}.ipynb"
    notebook = course / "submitted" / student / NAME / f"{NAME}.ipynb"
    return write_submission(released, answers or reference_answers(NAME), notebook)


def _nbgrader_home(home: Path, text: str) -> Path:
    config = home / ".jupyter" / "nbgrader_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return config


# -- finding 1: CourseDirectory.root in ~/.jupyter (nbgrader's documented hub setup) -----------------


def test_autograde_grades_its_scratch_copy_when_the_home_config_names_the_course(
    course: Path, plain_home: Path
) -> None:
    _nbgrader_home(plain_home, f'c = get_config()\nc.CourseDirectory.root = "{course}"\n')
    _submit(course, "park")
    [park] = Classroom(course, contain=False).autograde(NAME, progress=None)
    assert park.summary() == "6/6 autograded · 2 points to grade by hand", park.note
    assert (course / "autograded" / "park" / NAME / f"{NAME}.ipynb").is_file()


def test_scalelab_grade_grades_its_scratch_copy_when_the_home_config_names_a_course(
    template: Path, plain_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _nbgrader_home(plain_home, f'c = get_config()\nc.CourseDirectory.root = "{template}"\n')
    mine = _submit(template, "me").rename(tmp_path / f"{NAME}.ipynb")
    shutil.rmtree(template / "submitted" / "me")
    assert cli.main(["grade", str(mine)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^total +6/6$", out, re.M), out
    assert not (template / "autograded").exists()


# -- finding 2 (the formgrader) and hub-config instructor ----------------------------------------------

FORMGRADER = """
import json, os
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

# As nbgrader's load_jupyter_server_extension does, in a single-user server started in the home
formgrader = FormgradeExtension()
formgrader.root_dir = os.getcwd()
formgrader.initialize([])
formgrader.coursedir._load_config(formgrader.load_config())
steps = formgrader.config.Autograde.get("autograde_preprocessors", [])
print(json.dumps({
    "root": formgrader.coursedir.root,
    "source": formgrader.coursedir.source_directory,
    "release": formgrader.coursedir.release_directory,
    "autograde": [step.__name__ for step in steps],
}))
"""


def _formgrader_sees(home: Path) -> dict:
    env = {**os.environ, "HOME": str(home)}
    run = subprocess.run(
        [sys.executable, "-c", FORMGRADER],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(run.stdout.splitlines()[-1])


def test_the_formgrader_keeps_the_courses_folders_and_guards_after_hub_config_instructor(
    template: Path, plain_home: Path, capsys: pytest.CaptureFixture
) -> None:
    before = _formgrader_sees(plain_home)
    assert (before["source"], before["release"]) == ("source", "release")
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    after = _formgrader_sees(plain_home)
    assert after["root"] == str(template)
    assert (after["source"], after["release"]) == ("solutions", "exercises")
    assert "ResilientExecute" in after["autograde"] and "HoldTampering" in after["autograde"]
    config = plain_home / ".jupyter" / "nbgrader_config.py"
    assert f"wrote {config}" in capsys.readouterr().out


def test_hub_config_instructor_writes_nothing_new_on_a_second_run(
    template: Path, plain_home: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    capsys.readouterr()
    files = {p: p.read_bytes() for p in plain_home.rglob("*") if p.is_file()}
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    assert {p: p.read_bytes() for p in plain_home.rglob("*") if p.is_file()} == files
    out = capsys.readouterr().out
    assert f"unchanged {plain_home / '.jupyter' / 'nbgrader_config.py'}" in out
    assert f"unchanged {plain_home / '.profile'}" in out


def test_hub_config_never_overwrites_a_file_it_did_not_write_and_keeps_a_backup_when_forced(
    template: Path, plain_home: Path, capsys: pytest.CaptureFixture
) -> None:
    mine = b"c = get_config()\nc.CourseDirectory.root = '/home/teacher/other-course'\n"
    config = plain_home / ".jupyter" / "nbgrader_config.py"
    config.parent.mkdir()
    config.write_bytes(mine)
    argv = _teach(template, "hub-config", "instructor", "--home", str(plain_home))
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {config} was not written by scalelab: left as it is (--force replaces it and "
        f"keeps yours as {config}.bak)"
    ]
    assert config.read_bytes() == mine
    assert cli.main([*argv, "--force"]) == 0
    assert f"wrote {config} (yours is kept as {config}.bak)" in capsys.readouterr().out
    assert (plain_home / ".jupyter" / "nbgrader_config.py.bak").read_bytes() == mine
    assert f'load_subconfig("{template / "nbgrader_config.py"}")' in config.read_text()
    # once edited by hand, a file it wrote is the user's: left alone as well
    config.write_text(config.read_text() + "c.Exchange.timezone = 'UTC'\n")
    edited = config.read_bytes()
    assert cli.main(argv) == 1
    assert "was not written by scalelab" in capsys.readouterr().err
    assert config.read_bytes() == edited
    # a second --force keeps both earlier versions
    assert cli.main([*argv, "--force"]) == 0
    assert (plain_home / ".jupyter" / "nbgrader_config.py.bak").read_bytes() == mine
    assert sorted(p.name for p in config.parent.iterdir()) == [
        "nbgrader_config.py",
        "nbgrader_config.py.bak",
        "nbgrader_config.py.bak1",
    ]
    assert (config.parent / "nbgrader_config.py.bak1").read_bytes() == edited


def test_hub_config_refuses_bad_input_in_one_line(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(_teach(tmp_path, "hub-config", "instructor")) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path} is not a course folder: it has no nbgrader_config.py"
    )
    missing = tmp_path / "no-such-home"
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(missing))) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: no folder {missing}: give the instructor's home folder (--home)"
    )
    assert not missing.exists()


def test_hub_config_system_writes_the_exchange_and_course_id_for_everyone(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    etc, exchange = tmp_path / "etc" / "jupyter", tmp_path / "srv" / "exchange"
    argv = _teach(template, "hub-config", "system", "--dir", str(etc), "--exchange", str(exchange))
    assert cli.main(argv) == 0
    text = (etc / "nbgrader_config.py").read_text()
    assert 'c.CourseDirectory.course_id = "scalelab"' in text
    assert f'c.Exchange.root = "{exchange}"' in text
    assert exchange.stat().st_mode & 0o777 == 0o777  # every user writes to it (nbgrader's docs)
    out = capsys.readouterr().out
    assert f"wrote {etc / 'nbgrader_config.py'}" in out
    assert f"made {exchange}" in out
    written = (etc / "nbgrader_config.py").read_bytes()
    assert cli.main(argv) == 0
    assert (etc / "nbgrader_config.py").read_bytes() == written
    assert f"unchanged {etc / 'nbgrader_config.py'}" in capsys.readouterr().out


# -- finding 6: the course's commands in a hub terminal (bash -l) --------------------------------------


def _login_shell_finds(home: Path) -> str:
    run = subprocess.run(
        [
            "env",
            "-i",
            f"HOME={home}",
            "PATH=/usr/bin:/bin",
            "bash",
            "-l",
            "-c",
            "command -v scalelab",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return run.stdout.strip()


def test_a_login_shell_finds_scalelab_after_hub_config_instructor(
    template: Path, plain_home: Path
) -> None:
    assert _login_shell_finds(plain_home) == ""
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    assert _login_shell_finds(plain_home) == str(BIN / "scalelab")


def test_the_path_block_goes_to_bash_profile_when_there_is_one_and_keeps_the_users_lines(
    template: Path, plain_home: Path
) -> None:
    mine = b"# my own\r\nexport EDITOR=vi\t# tabs, CRLF and \xe9 stay as they are\nalias ll='ls -l'"
    profile = plain_home / ".bash_profile"
    profile.write_bytes(mine)
    argv = _teach(template, "hub-config", "instructor", "--home", str(plain_home))
    assert cli.main(argv) == 0
    assert not (plain_home / ".profile").exists()
    written = profile.read_bytes()
    assert written.startswith(mine + b"\n# >>> scalelab")
    assert _login_shell_finds(plain_home) == str(BIN / "scalelab")
    assert cli.main(argv) == 0
    assert profile.read_bytes() == written  # the block is there once
    # an older block (another venv) is replaced, and only it
    moved = written.replace(str(BIN).encode(), b"/old/venv/bin")
    profile.write_bytes(moved + b"\nexport AFTER=1\n")
    assert cli.main(argv) == 0
    assert profile.read_bytes() == written + b"\nexport AFTER=1\n"
