"""nbgrader configuration: the repository root is the course directory.

solutions/<name>/<name>.ipynb are the sources (with solutions and hidden tests), exercises/<name>/ the
released student versions (``make exercises``). A teacher's gradebook.db, submitted/, autograded/ and
feedback/ stay in this folder and out of git (.gitignore). TEACHING.md is the teacher's guide.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from scalelab.teach.guards import CapOutput, MarkTestEnds, RequireTestEnds, ShortenHiddenTracebacks
from scalelab.teach.integrity import HoldTampering
from scalelab.teach.lms import LmsFileNames
from scalelab.teach.resilient import RepairGradeIds, ResilientExecute

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "scalelab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# A cell that runs longer than this is stopped; the rest of the notebook is still graded.
c.Execute.timeout = 60

# A graded kernel is thrown away once its last cell has answered: kill it rather than ask it to
# shut down and poll every 0.1 s until it has (0.2 s per notebook, sometimes 2.5 s when it does
# not answer). Whatever it started dies with it: the sandbox's PID namespace and the reaper see to that.
c.Execute.shutdown_kernel = "immediate"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# nbgrader's own steps, plus scalelab's guards (lib/scalelab/guards.py): every test cell must run
# to its end to earn marks, and no output may be larger than 20,000 characters. HoldTampering
# (lib/scalelab/integrity.py) holds for a person the marks of a notebook that redefines built-ins or
# reaches into the grader. And one fault costs one question, not the notebook
# (lib/scalelab/resilient.py): a cell with an unknown or duplicated grade id runs as an ordinary
# cell (RepairGradeIds), and a kernel that dies is restarted and grading goes on with the next cell
# (ResilientExecute, in place of nbgrader's Execute).
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RepairGradeIds,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    MarkTestEnds,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    ResilientExecute,
    RequireTestEnds,
    HoldTampering,
    CapOutput,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback shows each test cell's result, not the hidden tests' code (they can be reused next year):
# neither in the cell nor quoted by a traceback.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ShortenHiddenTracebacks,
    ClearHiddenTests,
    CSSHTMLHeaderPreprocessor,
]

# LMS downloads (zip_collect): files named like
# 05-load-balancer_alice_attempt_2026-11-20-10-00-00_05-load-balancer.ipynb
# (the assignment name has no underscore; the student id may have some). The pattern is matched
# against each file's name only, never its folders, and only students of the roster are taken
# (scalelab.teach.lms.LmsFileNames; nbgrader's own collector matches the whole path).
c.ZipCollectApp.collector_plugin = LmsFileNames
c.FileNameCollectorPlugin.named_regexp = (
    r"^[^_]+_(?P<student_id>.+?)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>.+)$"
)
