"""nbgrader configuration: the repository root is the course directory.

solutions/<name>/<name>.ipynb are the sources (with solutions and hidden tests), exercises/<name>/ the
released student versions (``make exercises``). A teacher's gradebook.db, submitted/, autograded/ and
feedback/ stay in this folder and out of git (.gitignore).
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "scalelab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# A cell that runs longer than this is stopped; the rest of the notebook is still graded.
c.Execute.timeout = 60

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
