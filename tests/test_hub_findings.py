"""A class on JupyterHub (issue 11 §2): what went wrong under a hub's setup, each pinned by a test, and
``scalelab teach hub-config``, which writes the configuration a hub needs.

Everything runs in temporary folders with HOME pointed at a temporary home (JUPYTER_CONFIG_DIR unset,
JUPYTER_CONFIG_PATH a temporary folder where a test needs the "system" configuration): nothing here
reads or writes the real ~/.jupyter or /etc/jupyter. The end-to-end hub test is tests/test_hub.py.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import jupyter_core.paths
import pytest
from submissions import reference_answers, write_submission

from scalelab.teach import cli
from scalelab.teach.classroom import Classroom
from scalelab.teach.grading import ROOT, nbgrader_path

NAME = "01-single-server"  # 6 autograded points and a written answer (target-answer) worth 2
STUDENTS = ["park", "kim", "lee", "nobody", "daemon"]  # nobody and daemon are accounts here, too
BIN = Path(sys.executable).parent  # where this environment's scalelab and nbgrader live
pytestmark = pytest.mark.xdist_group("hubfindings")
# nbgrader_config.py files this machine gives every user (a hub's /etc/jupyter): a release without
# --exchange would then publish to its real exchange, so that case is not run.
SYSTEM_NBGRADER = [
    p / "nbgrader_config.py"
    for p in map(Path, jupyter_core.paths.SYSTEM_CONFIG_PATH)
    if (p / "nbgrader_config.py").is_file()
]


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
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, course.parent)
        room = Classroom(course, contain=False)
        with room.gradebook() as gb:  # the roster (teach roster runs nbgrader for it: seconds)
            for student in STUDENTS:
                gb.update_or_create_student(student)
        room.nbgrader("generate_assignment", NAME, "--force")
    return course


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("HOME", str(home))  # no ~/.jupyter there
    mp.delenv("JUPYTER_CONFIG_DIR", raising=False)
    mp.setenv("JUPYTER_CONFIG_PATH", str(home / "no-system-config"))
    mp.setenv("PATH", nbgrader_path(os.environ.get("PATH", "")))  # alembic, for a new gradebook


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
    assert park.summary() == "6/6 autograded · written answer left blank: 0/2", park.note
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
    out = capsys.readouterr().out
    assert f"wrote {config}" in out
    # nbgrader's formgrader refuses a course outside its server's root folder: said, not fixed
    assert f"note: the course {template} is not inside {plain_home}: the formgrader works" in out


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
    assert sorted(p.name for p in config.parent.glob("nbgrader_config.py*")) == [
        "nbgrader_config.py",
        "nbgrader_config.py.bak",
        "nbgrader_config.py.bak1",
    ]
    assert (config.parent / "nbgrader_config.py.bak1").read_bytes() == edited


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root: run for another's home"
)
def test_hub_config_run_by_root_for_an_instructor_gives_the_instructor_what_it_makes(
    template: Path, plain_home: Path
) -> None:
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(plain_home, nobody, -1)
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    made = [plain_home / ".jupyter", plain_home / ".jupyter" / "nbgrader_config.py"]
    assert [p.stat().st_uid for p in [*made, plain_home / ".profile"]] == [nobody] * 3


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
    profiles = tmp_path / "etc" / "profile.d"
    argv = _teach(template, "hub-config", "system", "--dir", str(etc), "--exchange", str(exchange))
    argv += ["--profile-dir", str(profiles)]
    assert cli.main(argv) == 0
    # every login shell (students' too: Debian's /etc/profile resets PATH) finds the commands
    shell = subprocess.run(
        [
            "env",
            "-i",
            "PATH=/usr/bin:/bin",
            "bash",
            "-c",
            f". {profiles}/scalelab.sh; command -v nbgrader",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shell.stdout.strip() == str(BIN / "nbgrader"), shell
    text = (etc / "nbgrader_config.py").read_text()
    assert 'c.CourseDirectory.course_id = "scalelab"' in text
    assert f'c.Exchange.root = "{exchange}"' in text
    assert exchange.stat().st_mode & 0o777 == 0o777  # every user writes to it (nbgrader's docs)
    assert exchange.stat().st_mode & 0o1000  # sticky: no one removes or renames another's folder
    out = capsys.readouterr().out
    assert f"wrote {etc / 'nbgrader_config.py'}" in out
    assert f"made {exchange}" in out
    written = (etc / "nbgrader_config.py").read_bytes()
    assert cli.main(argv) == 0
    assert (etc / "nbgrader_config.py").read_bytes() == written
    out = capsys.readouterr().out
    assert f"unchanged {etc / 'nbgrader_config.py'}" in out
    assert f"unchanged {profiles / 'scalelab.sh'}" in out


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
    # not this environment's (a machine may have a scalelab elsewhere on every login shell's PATH,
    # as a hub with hub-config system's /etc/profile.d/scalelab.sh does)
    assert _login_shell_finds(plain_home) != str(BIN / "scalelab")
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


# -- finding 3: release through the exchange the configuration names -----------------------------------


@pytest.fixture(scope="module")
def released(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``teach release`` without an exchange, then with one configured by ``hub-config system`` in a
    folder of JUPYTER_CONFIG_PATH (as /etc/jupyter on a hub): what it printed each time."""
    base = tmp_path_factory.mktemp("exchange")
    course = Path(shutil.copytree(template, base / "course"))
    etc, exchange = base / "etc-jupyter", base / "exchange"
    printed = []
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, base)
        for configure in (False, True):
            if not configure and SYSTEM_NBGRADER:
                printed.append(None)  # it would release to this machine's real exchange
                continue
            if configure:
                argv = ["hub-config", "system", "--dir", str(etc), "--exchange", str(exchange)]
                argv += ["--profile-dir", str(base / "profile.d")]
                assert cli.main(_teach(course, *argv)) == 0
                mp.setenv("JUPYTER_CONFIG_PATH", str(etc))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert cli.main(_teach(course, "release", NAME)) == 0
            printed.append(out.getvalue().splitlines()[-1])
    return {"course": course, "etc": etc, "exchange": exchange, "printed": printed}


def test_release_goes_through_the_exchange_the_configuration_names(released: dict) -> None:
    without, configured = released["printed"]
    exchange = released["exchange"]
    assert configured == f"released {NAME} to the exchange {exchange}"
    assert (exchange / "scalelab" / "outbound" / NAME / f"{NAME}.ipynb").is_file()
    if SYSTEM_NBGRADER:
        pytest.skip(f"this machine configures nbgrader for everyone ({SYSTEM_NBGRADER[0]})")
    assert without == (
        f"released {NAME} into exercises/ only: no exchange is configured (give --exchange DIR, "
        "or set Exchange.root, e.g. with: scalelab teach hub-config system)"
    )


# -- finding 5: a submission made under another student's id -------------------------------------------


def _chown(folder: Path, account: str) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, pwd.getpwnam(account).pw_uid, -1)


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root: chown makes the accounts nobody and daemon stand for two students",
)


@pytest.fixture(scope="module")
def inbound(released: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real submissions of nobody and daemon (``nbgrader submit --student=…``, both made by the
    account running the tests) in the released exchange: their inbound folders, by student."""
    course, exchange = released["course"], released["exchange"]
    base = tmp_path_factory.mktemp("students")
    submits = []
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, base)
        mp.setenv("JUPYTER_CONFIG_PATH", str(released["etc"]))
        for student in ("nobody", "daemon"):
            work = base / student
            shutil.copytree(course / "exercises" / NAME, work / NAME)
            argv = [str(BIN / "nbgrader"), "submit", NAME, f"--student={student}"]
            submits.append(subprocess.Popen(argv, cwd=work, stderr=subprocess.PIPE, text=True))
        for submit in submits:
            assert submit.wait(timeout=60) == 0, submit.stderr.read()
    return {p.name.split("+")[0]: p for p in (exchange / "scalelab" / "inbound").iterdir()}


@needs_root
def test_collect_names_a_submission_made_by_another_account_than_the_id_it_claims(
    released: dict, inbound: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    course = released["course"]
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(released["etc"]))
    # a hub that runs everyone under one account (root here): who submitted cannot be checked
    assert cli.main(_teach(course, "collect", NAME)) == 0
    out = capsys.readouterr().out
    assert (
        f"note: every submission of {NAME} was made by the account root, which is no student's "
        "(a hub that runs everyone under one account?): who submitted cannot be checked here"
    ) in out
    assert "warning" not in out
    assert f"2 submissions of {NAME} in submitted/" in out

    room = Classroom(course, contain=False)
    _chown(inbound["nobody"], "nobody")  # each student's own account: nothing to report
    _chown(inbound["daemon"], "daemon")
    assert room.submitters(NAME) == []

    _chown(inbound["daemon"], "nobody")  # nobody submitted as daemon, who made none of their own
    assert room.submitters(NAME) == [
        f"warning: the account nobody submitted {NAME} as daemon ({inbound['daemon'].name}): "
        "submitted/daemon/ holds it, and daemon made no submission of their own; check with both "
        "before grading it"
    ]


def _later(folder: Path, seconds: float, student: str | None = None) -> Path:
    """A copy of the inbound submission ``folder`` made ``seconds`` later, as ``student`` (default:
    the same id), its notebook marked with the new folder's name; as ``nbgrader submit`` files one."""
    from nbgrader.utils import parse_utc

    claimed, name, stamp, _ = folder.name.rsplit("+", 3)
    when = parse_utc(stamp) + datetime.timedelta(seconds=seconds)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    copy = folder.with_name(f"{student or claimed}+{name}+{stamp}+{secrets.token_hex(6)}")
    shutil.copytree(folder, copy)
    (copy / "timestamp.txt").write_text(stamp)
    notebook = copy / f"{NAME}.ipynb"
    cells = json.loads(notebook.read_text())
    cells["metadata"]["made_as"] = copy.name
    notebook.write_text(json.dumps(cells))
    shutil.copystat(folder / f"{NAME}.ipynb", notebook)
    return copy


def _state(course: Path) -> dict[str, bytes]:
    submitted = course / "submitted"
    return {
        str(p.relative_to(submitted)): p.read_bytes() for p in submitted.rglob("*") if p.is_file()
    }


@needs_root
def test_collect_grades_a_students_own_submission_rather_than_a_later_one_made_as_them(
    course: Path, released: dict, inbound: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    exchange = Path(shutil.copytree(released["exchange"], tmp_path / "exchange", symlinks=True))
    mine = {s: exchange / "scalelab" / "inbound" / p.name for s, p in inbound.items()}
    _chown(mine["nobody"], "nobody")
    _chown(mine["daemon"], "daemon")
    forged = _later(mine["daemon"], 6, student="nobody")  # daemon, 6 s later, as nobody
    as_kim = _later(mine["daemon"], 3, student="kim")  # daemon as kim, who made none
    _chown(forged, "daemon")
    _chown(as_kim, "daemon")
    argv = _teach(course, "--exchange", str(exchange), "collect", NAME)
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()[1:]  # after "course: …"
    assert printed == [
        f"warning: the account daemon submitted {NAME} as kim ({as_kim.name}): submitted/kim/ "
        "holds it, and kim made no submission of their own; check with both before grading it",
        f"warning: the account daemon submitted {NAME} as nobody ({forged.name}): graded instead "
        f"is nobody's own latest submission ({mine['nobody'].name}); check with both",
        f"3 submissions of {NAME} in submitted/",
    ]
    nobody = course / "submitted" / "nobody" / NAME
    assert {p.name: p.read_bytes() for p in nobody.iterdir()} == {
        p.name: p.read_bytes() for p in mine["nobody"].iterdir()
    }  # timestamp.txt too: a later collect --update compares with it
    assert "made_as" in (course / "submitted" / "kim" / NAME / f"{NAME}.ipynb").read_text()
    state = _state(course)
    assert cli.main(argv) == 0  # again: the same lines, the same files
    assert capsys.readouterr().out.splitlines()[1:] == printed
    assert _state(course) == state

    # nobody submits once more, later than daemon did: that one is graded, and daemon's still named
    again = _later(mine["nobody"], 9)
    _chown(again, "nobody")
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.splitlines()[1:3] == printed[:1] + [
        f"warning: the account daemon submitted {NAME} as nobody ({forged.name}): not graded, "
        f"nobody's own latest submission ({again.name}) is; check with both"
    ]
    assert (nobody / "timestamp.txt").read_text() == (again / "timestamp.txt").read_text()
    assert "made_as" in (nobody / f"{NAME}.ipynb").read_text()


def test_collect_leaves_submitted_readable_by_the_teacher_only(
    course: Path, released: dict, inbound: dict, tmp_path: Path
) -> None:
    exchange = Path(shutil.copytree(released["exchange"], tmp_path / "exchange", symlinks=True))
    Classroom(course, exchange=exchange, contain=False).collect(NAME)
    submitted = course / "submitted"
    paths = [submitted, *submitted.rglob("*")]
    assert submitted / "nobody" / NAME / f"{NAME}.ipynb" in paths
    assert {str(p.relative_to(course)): oct(p.stat().st_mode & 0o077) for p in paths} == {
        str(p.relative_to(course)): "0o0" for p in paths
    }


# -- finding 4: the formgrader's "needs manual grade" after teach mark ---------------------------------


def _formgrader_flags(course: Path, student: str) -> list[str]:
    """The cells the formgrader flags as needing a manual grade in ``student``'s submission, after
    checking that its flag for the submission says the same: /formgrader/api/submissions/<name>
    (Gradebook.submission_dicts), /formgrader/api/submitted_notebooks/<name>/<name>
    (notebook_submission_dicts) and /formgrader/api/grades?submission_id=… (each grade), from a
    fresh gradebook as nbgrader's API opens one per request."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        [submission] = [d for d in gb.submission_dicts(NAME) if d["student"] == student]
        [notebook] = [
            d for d in gb.notebook_submission_dicts(NAME, NAME) if d["student"] == student
        ]
        grades = gb.find_submission_notebook(NAME, NAME, student).grades
        flagged = sorted(g.name for g in grades if g.needs_manual_grade)
    assert bool(submission["needs_manual_grade"]) == bool(notebook["needs_manual_grade"])
    assert bool(submission["needs_manual_grade"]) == bool(flagged)
    return flagged


def _written(course: Path, student: str, text: str, delete: str = "") -> None:
    """A submission with the reference answers, ``text`` as the written answer, and the cell
    ``delete`` taken out."""
    released = json.loads((course / "exercises" / NAME / f"{NAME}.ipynb").read_text())
    answers = reference_answers(NAME)
    cells = []
    for cell in released["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == delete:
            continue
        cell["source"] = (
            text if grade_id == "target-answer" else answers.get(grade_id, cell["source"])
        )
        cells.append(cell)
    notebook = course / "submitted" / student / NAME / f"{NAME}.ipynb"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    notebook.write_text(json.dumps({**released, "cells": cells}), encoding="utf-8")


def test_a_fully_hand_marked_submission_is_not_flagged_by_the_formgrader_even_after_a_regrade(
    course: Path,
) -> None:
    # lee wrote an answer to grade by hand, and deleted a test cell
    _written(course, "lee", "About 100 servers, each at 70 % of its capacity.", "capacity-visible")
    room = Classroom(course, contain=False)
    [lee] = room.autograde(NAME, progress=None)
    assert "capacity-visible was deleted: its points are lost" in lee.note
    assert _formgrader_flags(course, "lee") == ["target-answer"]

    room.mark(NAME, "lee", "target-answer", 1.5)
    assert _formgrader_flags(course, "lee") == []

    room.autograde(NAME, progress=None)  # the same submission graded again (a late one came in)
    assert _formgrader_flags(course, "lee") == []
    assert room.outcome(NAME, "lee").summary() == "4/6 autograded · by hand 1.5/2"


def test_hub_config_instructor_says_nothing_of_a_course_inside_the_home(
    template: Path, plain_home: Path, capsys: pytest.CaptureFixture
) -> None:
    inside = Path(shutil.copytree(template, plain_home / "scalelab"))
    assert cli.main(_teach(inside, "hub-config", "instructor", "--home", str(plain_home))) == 0
    assert "note:" not in capsys.readouterr().out


def test_teach_in_a_hub_terminal_finds_the_course_hub_config_named(
    template: Path, plain_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A hub terminal starts in the home, not in the course: `scalelab teach …` without --course
    takes the course ~/.jupyter/nbgrader_config.py names (else the repository, as before)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli._default_course() == ROOT
    assert cli.main(_teach(template, "hub-config", "instructor", "--home", str(plain_home))) == 0
    assert cli._default_course() == template
    capsys.readouterr()
    assert cli.main(["teach", "export", str(tmp_path / "grades.csv")]) == 0
    assert capsys.readouterr().out.startswith(f"course: {template}\n")
    # a hand-written nbgrader hub setup ('…' quotes) counts too; a folder that is no course does not
    _nbgrader_home(plain_home, f"c = get_config()\nc.CourseDirectory.root = '{template}'\n")
    assert cli._default_course() == template
    _nbgrader_home(plain_home, f"c = get_config()\nc.CourseDirectory.root = '{elsewhere}'\n")
    assert cli._default_course() == ROOT
    monkeypatch.chdir(template)  # the current folder, when it is a course, comes first
    assert cli._default_course() == template


def test_hub_config_instructor_turns_the_teachers_extensions_on_and_keeps_the_users_json(
    template: Path, plain_home: Path, capsys: pytest.CaptureFixture
) -> None:
    """`jupyter server extension enable --user` does not turn the Formgrader back on (it only
    toggles extensions already listed in ~/.jupyter), so hub-config instructor writes the settings."""
    from scalelab.teach.hub import FORMGRADER, TEACHER_LAB_EXTENSIONS

    server = plain_home / ".jupyter" / "jupyter_server_config.json"
    server.parent.mkdir(parents=True)
    server.write_text('{"ServerApp": {"jpserver_extensions": {"mine": true}, "port": 9999}}')
    argv = _teach(template, "hub-config", "instructor", "--home", str(plain_home))
    assert cli.main(argv) == 0
    assert json.loads(server.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"mine": True, FORMGRADER: True}, "port": 9999}
    }
    page = plain_home / ".jupyter" / "labconfig" / "page_config.json"
    assert json.loads(page.read_text()) == {
        "disabledExtensions": dict.fromkeys(TEACHER_LAB_EXTENSIONS, False)
    }
    out = capsys.readouterr().out
    assert f"updated {server}" in out and f"wrote {page}" in out
    assert cli.main(argv) == 0
    assert f"unchanged {server}" in capsys.readouterr().out
    page.write_text("{not json")
    assert cli.main(argv) == 1
    assert "is not valid JSON" in capsys.readouterr().err
    assert page.read_text() == "{not json"  # left as it is


def test_hub_config_instructor_warns_when_other_accounts_can_read_the_course(
    template: Path, capsys: pytest.CaptureFixture
) -> None:
    """Debian (and Ubuntu before 21.04) make homes 0755: every student could read the hidden tests."""
    import tempfile

    from scalelab.teach.hub import readable_by_others

    home = Path(tempfile.mkdtemp(prefix="scalelab-open-home-", dir="/tmp"))
    try:
        course = Path(shutil.copytree(template, home / "course"))
        home.chmod(0o755)
        course.chmod(0o755)
        assert readable_by_others(course)
        assert cli.main(_teach(course, "hub-config", "instructor", "--home", str(home))) == 0
        warning = f"warning: other accounts can read {course}"
        assert warning in capsys.readouterr().out
        home.chmod(0o700)
        assert not readable_by_others(course)
        assert cli.main(_teach(course, "hub-config", "instructor", "--home", str(home))) == 0
        assert warning not in capsys.readouterr().out
        home.chmod(0o711)  # others may pass through but not list the home: the course still shows
        assert readable_by_others(course)
        home.chmod(0o750)  # Ubuntu's default: the owner's own group only (root's, here)
        assert not readable_by_others(course)
    finally:
        shutil.rmtree(home)
