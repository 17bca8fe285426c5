"""exercises/ is exactly what nbgrader generates from solutions/: never edited by hand."""

from pathlib import Path

from scalelab.teach.grading import ROOT, assignments, generate_exercises


def test_committed_exercises_equal_generated(tmp_path: Path) -> None:
    generate_exercises(tmp_path)
    generated = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(ROOT / "exercises") for p in (ROOT / "exercises").rglob("*") if p.is_file()
    }
    assert committed == generated, "run `make exercises` and commit the result"
    stale = [
        str(p)
        for p in sorted(generated)
        if (tmp_path / p).read_bytes() != (ROOT / "exercises" / p).read_bytes()
    ]
    assert stale == [], f"exercises differ from solutions/: {stale}; run `make exercises`"


def test_every_solution_has_an_exercise() -> None:
    assert assignments() == sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())


def test_student_versions_hide_solutions_and_hidden_tests() -> None:
    for notebook in (ROOT / "exercises").rglob("*.ipynb"):
        text = notebook.read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{notebook} contains {marker}"
