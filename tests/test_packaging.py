"""The project's own files agree with each other: dependencies, make targets, CI entry point."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import testrun
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower()


#: conda-forge names that differ from PyPI's for the same package.
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def _spec(requirement: str) -> str:
    spec = requirement.split("#")[0].replace(" ", "").lower()
    for conda, pypi in CONDA_TO_PYPI.items():
        if spec.startswith(conda):
            spec = pypi + spec[len(conda) :]
    return spec


def test_environment_yml_and_pyproject_name_the_same_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = project["dependencies"] + project["optional-dependencies"]["test"]
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_side = [d for d in conda if isinstance(d, str) and _name(d) not in {"python", "pip"}]
    conda_side += [  # what conda-forge lacks, installed by pip (the package itself aside)
        d
        for section in conda
        if isinstance(section, dict)
        for d in section.get("pip", [])
        if d != "-e ."
    ]
    assert sorted(map(_spec, conda_side)) == sorted(map(_spec, pip_side))
    assert any(isinstance(d, dict) and "-e ." in d.get("pip", []) for d in conda), (
        "environment.yml must install the scalelab package itself"
    )


def test_ci_runs_exactly_make_test() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == "exec make test"


def test_readme_names_the_two_commands_and_every_make_verb() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for verb in ("lab", "test", "grade", "exercises", "navigation", "notebooks", "bench"):
        assert re.search(rf"^{verb}:", makefile, re.M), f"Makefile has no {verb} target"
        assert f"make {verb}" in readme, f"README does not mention make {verb}"


#: What a teacher's class leaves in the course folder: none of it may be committed by `git add -A`.
TEACHER_DATA = [
    "gradebook.db",
    "gradebook.db-journal",
    "gradebook.db-wal",
    "roster.csv",
    "grades.csv",
    "gradebook_download.zip",
    "nbgrader.log",
    "submitted/leej/05-load-balancer/05-load-balancer.ipynb",
    "autograded/leej/05-load-balancer/05-load-balancer.ipynb",
    "autograded/05-load-balancer-notes.json",
    "feedback/leej/05-load-balancer/05-load-balancer.html",
    "downloaded/05-load-balancer/archive/gradebook_download.zip",
    "downloaded/05-load-balancer/extracted/x/05-load-balancer_leej_attempt_1_x.ipynb",
    "exchange/scalelab/inbound/leej+05-load-balancer+2026/05-load-balancer.ipynb",
    "release/05-load-balancer/05-load-balancer.ipynb",
    "my-work/05-load-balancer/05-load-balancer.ipynb",
]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def test_git_add_all_never_takes_a_teachers_student_data(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".gitignore", tmp_path)
    for path in TEACHER_DATA:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("student data")
    # the course's own files at the same depths are still committed
    for path in ("solutions/05-load-balancer/data.csv", "tests/roster.csv", "course/x.ipynb"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("course file")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    assert _git(tmp_path, "ls-files").split() == [
        ".gitignore",
        "course/x.ipynb",
        "solutions/05-load-balancer/data.csv",
        "tests/roster.csv",
    ]


def test_no_committed_file_is_ignored() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert _git(ROOT, "ls-files", "-ci", "--exclude-standard") == ""


@pytest.mark.parametrize("value", ["true", "1", "yes", "YES", "True", "on", "0", "false", "no", ""])
def test_make_and_the_tests_agree_on_what_a_ci_run_is(value: str) -> None:
    """CI runners set CI=true, CI=1 or CI=yes: all mean CI, for the Makefile as for the tests."""
    assert testrun.truthy(value) == (value.lower() in {"true", "1", "yes", "on"})
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", "system-packages", f"CI={value}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ("apt-get install" in plan) == testrun.truthy(value), plan


def test_the_readme_quotes_the_simulator_tests_as_they_are() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    theory = (ROOT / "tests" / "test_queueing_theory.py").read_text()
    assert "within 2% at a million requests" in readme and "N = 1_000_000" in theory
    assert "rel=0.02" in theory
    assert "M/M/c/K queue within 3% at 300,000 requests" in readme
    assert "300_000" in theory and "rel=0.03" in theory


def test_the_license_is_an_spdx_string_so_setuptools_prints_no_deprecation_banner() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT", "expected an SPDX expression (PEP 639)"
    requires = project["build-system"]["requires"]
    assert any(
        r.startswith("setuptools>=") and int(r.split(">=")[1].split(".")[0]) >= 77 for r in requires
    ), f"SPDX license strings need setuptools 77 or newer, got {requires}"
