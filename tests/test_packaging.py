"""The project's own files agree with each other: dependencies, make targets, CI entry point."""

import re
import tomllib
from pathlib import Path

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
    for verb in ("lab", "test", "grade", "exercises", "notebooks", "bench"):
        assert re.search(rf"^{verb}:", makefile, re.M), f"Makefile has no {verb} target"
        assert f"make {verb}" in readme, f"README does not mention make {verb}"


def test_learner_work_and_grading_state_are_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ("/my-work/", "/gradebook.db", "/submitted/", "/autograded/", "/feedback/"):
        assert entry in ignored
