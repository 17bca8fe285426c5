"""Filing an LMS download by file name: nbgrader's ``zip_collect`` collector, made to look at names only.

nbgrader's ``FileNameCollectorPlugin`` matches its pattern against the whole path of each extracted
file, so a folder with an underscore (``gradebook_download.zip`` unpacks into ``gradebook_download/``)
becomes part of the student id. :class:`LmsFileNames` matches the file's own name, skips students who
are not in the roster, and logs one line per file (:data:`MARK` and a JSON object) saying what it did,
which :meth:`scalelab.teach.classroom.Classroom.zip_collect` turns into its report.
"""

from __future__ import annotations

import json
import os
import re

from nbgrader.plugins import FileNameCollectorPlugin

#: Starts each log line that records what happened to one file.
MARK = "scalelab-collect "


class LmsFileNames(FileNameCollectorPlugin):
    """Match ``named_regexp`` against a file's name (never its folders); take roster students only."""

    _roster: set[str] | None = None

    def _students(self) -> set[str] | None:
        """Ids in the gradebook, or None when there is no gradebook to ask (the plugin on its own)."""
        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is None:
            return None
        if self._roster is None:
            from nbgrader.api import Gradebook

            with Gradebook(coursedir.db_url) as gb:
                self._roster = {s.id for s in gb.students}
        return self._roster

    def _record(self, path: str, **what: str | None) -> None:
        log = self.log.warning if what.get("skipped") else self.log.info
        log(MARK + json.dumps({"file": path, **what}))

    def collect(self, submitted_file: str) -> dict | None:
        name = os.path.basename(submitted_file)
        ext = os.path.splitext(name)[1]
        if ext not in self.valid_ext:
            kinds = ", ".join(self.valid_ext)
            why = f"not a notebook ({ext or 'no extension'}): only {kinds} files are collected"
            return self._record(submitted_file, skipped=why)
        match = re.match(self.named_regexp, name) if self.named_regexp else None
        if not match or not match.groupdict().get("student_id"):
            why = (
                "its name does not match the LMS file name pattern "
                "<assignment>_<student>_attempt_<date-time>_<file> "
                "(FileNameCollectorPlugin.named_regexp in nbgrader_config.py)"
            )
            return self._record(submitted_file, skipped=why)
        info = match.groupdict()
        students = self._students()
        if students is not None and info["student_id"] not in students:
            why = (
                f"student {info['student_id']} is not in the roster "
                "(add them with `teach roster`, then zip-collect again)"
            )
            if not students:
                why = (
                    f"student {info['student_id']} is not in the roster, which is empty "
                    "(run `teach roster` first)"
                )
            return self._record(submitted_file, skipped=why)
        self._record(
            submitted_file,
            student=info["student_id"],
            file_id=info.get("file_id"),
            timestamp=info.get("timestamp"),
        )
        return info
