"""The configuration a class on JupyterHub needs, written by ``scalelab teach hub-config``.

``system``: one ``nbgrader_config.py`` every user's Jupyter reads (``/etc/jupyter`` by default): the
course id and the exchange, which it creates writable by everyone (nbgrader's docs: ``chmod ugo+rw``)
with the sticky bit, so no student can rename or remove what another account put there (a course's
folder, which they could otherwise swap for their own).

It also writes ``/etc/profile.d/scalelab.sh``, which puts the bin folder of this Python on every login
shell's PATH (Debian's ``/etc/profile`` resets PATH, and a hub terminal is ``bash -l``).

``instructor``: the instructor's ``~/.jupyter/nbgrader_config.py``, which names the course folder and
loads the course's own ``nbgrader_config.py``, so that the formgrader and every nbgrader command of the
instructor's server (started in the home, not in the course) keep ``solutions/``, ``exercises/`` and
the grading guards; the Formgrader and nbgrader's teacher menus turned back on for the instructor
(merged into ``~/.jupyter``'s JSON settings: TEACHING.md turns them off for everyone); a marked block
at the end of the login profile (``~/.bash_profile``, ``~/.bash_login`` or ``~/.profile``: the one
bash reads) with the same PATH; and a warning when other accounts can read the course.

Nothing a user wrote is lost: a configuration file is replaced only when this module wrote it and no
one has edited it since (its first line carries a checksum of the rest); otherwise it is left alone,
or with ``force`` kept beside the new one as ``<name>.bak`` (``.bak1``, … when that exists). In a
profile only the marked block is ever replaced. Running it again changes nothing. Each function
returns one line per file or folder saying what it did.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

MARK = "# Written by `scalelab teach hub-config`"
BEGIN = b"# >>> scalelab"
END = b"# <<< scalelab <<<"
SYSTEM_DIR = Path("/etc/jupyter")
PROFILE_DIR = Path("/etc/profile.d")
#: nbgrader's extensions for the teacher: off for students (TEACHING.md's sys-prefix commands), and
#: back on in the instructor's ~/.jupyter, which Jupyter reads before every other configuration folder.
TEACHER_LAB_EXTENSIONS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
FORMGRADER = "nbgrader.server_extensions.formgrader"
EXCHANGE = Path("/srv/nbgrader/exchange")


class HubConfigError(Exception):
    """hub-config cannot go on; the message (one line) says why and what to do."""


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _signed(body: str) -> str:
    return f"{MARK} (checksum {_checksum(body)}: edit this file and hub-config leaves it alone)\n{body}"


def _ours(text: str) -> bool:
    """Whether hub-config wrote ``text`` and no one has changed it since."""
    first, _, body = text.partition("\n")
    found = re.match(re.escape(MARK) + r" \(checksum ([0-9a-f]{16})", first)
    return bool(found) and found.group(1) == _checksum(body)


def _backup_name(path: Path) -> Path:
    candidates = [path.with_name(path.name + ".bak")]
    candidates += [path.with_name(f"{path.name}.bak{k}") for k in range(1, 1000)]
    return next(p for p in candidates if not p.exists())


class _Writer:
    """Writes files; as root in someone else's home, gives what it creates to the home's owner."""

    def __init__(self, owner: Path | None = None) -> None:
        self.ids = None
        if owner is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
            st = owner.stat()
            if st.st_uid != 0:
                self.ids = (st.st_uid, st.st_gid)

    def _give(self, path: Path) -> None:
        if self.ids:
            os.chown(path, *self.ids)

    def mkdir(self, folder: Path) -> None:
        missing = [p for p in [folder, *folder.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        for p in missing:
            self._give(p)

    def write(self, path: Path, data: bytes) -> None:
        self.mkdir(path.parent)
        new = not path.exists()
        path.write_bytes(data)
        if new:
            self._give(path)

    def config(self, path: Path, body: str, force: bool) -> str:
        """Write ``body`` (signed) to ``path`` unless a file someone else wrote is there."""
        text = _signed(body).encode("utf-8")
        if not path.exists():
            self.write(path, text)
            return f"wrote {path}"
        old = path.read_bytes()
        if old == text:
            return f"unchanged {path}"
        if _ours(old.decode("utf-8", errors="replace")):
            self.write(path, text)
            return f"updated {path}"
        backup = _backup_name(path)
        if not force:
            raise HubConfigError(
                f"{path} was not written by scalelab: left as it is (--force replaces it and "
                f"keeps yours as {backup})"
            )
        shutil.copy2(path, backup)
        self._give(backup)
        self.write(path, text)
        return f"wrote {path} (yours is kept as {backup})"


def _merged(old: object, update: dict) -> dict:
    """``old`` (a JSON object) with ``update``'s keys set, recursively; nothing else changes."""
    merged = dict(old) if isinstance(old, dict) else {}
    for key, value in update.items():
        merged[key] = _merged(merged.get(key), value) if isinstance(value, dict) else value
    return merged


def _json_setting(writer: _Writer, path: Path, update: dict, what: str) -> str:
    """Set ``update``'s keys in the JSON file ``path`` (made if missing), keeping everything else."""
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (ValueError, UnicodeDecodeError) as e:
            raise HubConfigError(
                f"{path} is not valid JSON ({e}): left as it is; fix or remove it and run again"
            ) from None
        if not isinstance(old, dict):
            raise HubConfigError(f"{path} does not hold a JSON object: left as it is")
    else:
        old = None
    new = _merged(old, update)
    if new == old:
        return f"unchanged {path} ({what})"
    writer.write(path, (json.dumps(new, indent=2) + "\n").encode("utf-8"))
    return f"{'updated' if old is not None else 'wrote'} {path} ({what})"


def _shared_group(st: os.stat_result) -> bool:
    """Whether the group of a file has accounts other than its owner: not the owner's own group
    (Debian and Ubuntu give each account a group of its name, alone in it)."""
    import grp
    import pwd

    try:
        group, owner = grp.getgrgid(st.st_gid), pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        return True
    return group.gr_name != owner or any(member != owner for member in group.gr_mem)


def readable_by_others(folder: Path) -> bool:
    """Whether accounts other than its owner (and root) can list ``folder``: every folder above it
    lets them through (x) and it lets them read (r), by its "other" bits, or its group's when that
    group is not the owner's own."""

    def bits(p: Path, other: int, group: int) -> bool:
        st = p.stat()
        return bool(st.st_mode & other or (st.st_mode & group and _shared_group(st)))

    folder = Path(folder).resolve()
    if not all(bits(p, 0o001, 0o010) for p in folder.parents):
        return False
    return bits(folder, 0o004, 0o040)


def course_id(course: Path) -> str:
    """The course's ``CourseDirectory.course_id`` (from its nbgrader_config.py), else "scalelab"."""
    text = (Path(course) / "nbgrader_config.py").read_text(encoding="utf-8")
    found = re.findall(r"^c\.CourseDirectory\.course_id\s*=\s*[\"']([^\"']+)[\"']", text, re.M)
    return found[-1] if found else "scalelab"


def check_course(course: Path) -> Path:
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise HubConfigError(f"{course} is not a course folder: it has no nbgrader_config.py")
    return course


def system(
    course: Path,
    folder: Path = SYSTEM_DIR,
    exchange: Path = EXCHANGE,
    force: bool = False,
    profile_dir: Path | None = PROFILE_DIR,
    bindir: Path | None = None,
) -> list[str]:
    """Write ``folder/nbgrader_config.py`` (course id, exchange), make the exchange, and put the
    course's commands on every login shell's PATH (``profile_dir/scalelab.sh``; None: not)."""
    course = check_course(course)
    exchange = Path(exchange).absolute()
    body = (
        '"""nbgrader settings for every user of this JupyterHub (students and instructor)."""\n\n'
        "c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)\n\n"
        f"c.CourseDirectory.course_id = {json.dumps(course_id(course))}\n"
        "# Where the Assignments panel fetches and submits: a folder every user can write to\n"
        f"c.Exchange.root = {json.dumps(str(exchange))}\n"
    )
    done = [_Writer().config(Path(folder).absolute() / "nbgrader_config.py", body, force)]
    if exchange.is_dir() and exchange.stat().st_mode & 0o1777 == 0o1777:
        done.append(f"unchanged {exchange} (the exchange, writable by everyone, sticky)")
    else:
        what = (
            "writable by everyone, sticky"
            if exchange.is_dir()
            else "(the exchange, writable by everyone, sticky)"
        )
        exchange.mkdir(parents=True, exist_ok=True)
        exchange.chmod(exchange.stat().st_mode | 0o1777)
        done.append(f"made {exchange} {what}")
    if profile_dir is not None:
        bindir = _bindir(bindir)
        script = path_block(bindir).decode("utf-8")
        line = _Writer().config(Path(profile_dir).absolute() / "scalelab.sh", script, force)
        done.append(f"{line} (every login shell finds {bindir}: scalelab, nbgrader, pip)")
    return done


def _bindir(bindir: Path | None) -> Path:
    """The folder a PATH block puts first: ``bindir``, else the bin folder of the Python running
    scalelab (its environment's ``scalelab``, ``nbgrader`` and ``pip``)."""
    return Path(bindir) if bindir is not None else Path(os.path.abspath(sys.executable)).parent


def path_block(bindir: Path) -> bytes:
    """The profile block that puts ``bindir`` in front of PATH when it is not on it."""
    quoted = shlex.quote(str(bindir))
    return (
        BEGIN + b": the course's commands (scalelab, nbgrader) in a login shell; "
        b"written by `scalelab teach hub-config` >>>\n"
        + f"scalelab_bin={quoted}\n".encode()
        + b'case ":$PATH:" in *":$scalelab_bin:"*) ;; *) PATH="$scalelab_bin:$PATH"; export PATH ;; esac\n'
        b"unset scalelab_bin\n" + END + b"\n"
    )


def login_profile(home: Path) -> Path:
    """The file a login bash reads in ``home``: the first of .bash_profile, .bash_login, .profile."""
    for name in (".bash_profile", ".bash_login", ".profile"):
        if (home / name).exists():
            return home / name
    return home / ".profile"


def _with_block(data: bytes, block: bytes) -> bytes:
    """``data`` with its scalelab block replaced by ``block``, or ``block`` appended."""
    lines = data.splitlines(keepends=True)
    begin = next((k for k, line in enumerate(lines) if line.startswith(BEGIN)), None)
    if begin is not None:
        end = next((k for k in range(begin, len(lines)) if lines[k].startswith(END)), None)
        if end is not None:
            return b"".join(lines[:begin]) + block + b"".join(lines[end + 1 :])
    separator = b"\n" if data and not data.endswith(b"\n") else b""
    return data + separator + block


def instructor(
    course: Path, home: Path | None = None, force: bool = False, bindir: Path | None = None
) -> list[str]:
    """Write the instructor's ~/.jupyter/nbgrader_config.py and the PATH block of the login profile."""
    course = check_course(course)
    home = Path(home if home is not None else Path.home()).absolute()
    if not home.is_dir():
        raise HubConfigError(f"no folder {home}: give the instructor's home folder (--home)")
    writer = _Writer(owner=home)
    body = (
        '"""nbgrader settings of the instructor: the course folder and its own configuration.\n\n'
        "The formgrader and nbgrader commands of a hub server start in the home, not in the course:\n"
        "without these lines they would lose solutions/, exercises/ and the grading guards.\n"
        '"""\n\n'
        "c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)\n"
        f"load_subconfig({json.dumps(str(course / 'nbgrader_config.py'))})  # noqa: F821\n"
        f"c.CourseDirectory.root = {json.dumps(str(course))}\n"
    )
    done = [writer.config(home / ".jupyter" / "nbgrader_config.py", body, force)]
    jupyter = home / ".jupyter"
    done.append(
        _json_setting(
            writer,
            jupyter / "jupyter_server_config.json",
            {"ServerApp": {"jpserver_extensions": {FORMGRADER: True}}},
            "the Formgrader on for you",
        )
    )
    done.append(
        _json_setting(
            writer,
            jupyter / "labconfig" / "page_config.json",
            {"disabledExtensions": dict.fromkeys(TEACHER_LAB_EXTENSIONS, False)},
            "nbgrader's teacher menus on for you",
        )
    )
    if readable_by_others(course):
        done.append(
            f"warning: other accounts can read {course} (model answers, hidden tests, the "
            f"gradebook): make your home private with `chmod 700 {home}`"
        )
    if not course.is_relative_to(home.resolve()):
        done.append(
            f"note: the course {course} is not inside {home}: the formgrader works only for a "
            "course inside the folder the hub's server starts in (the home, unless configured)"
        )

    bindir = _bindir(bindir)
    profile = login_profile(home)
    old = profile.read_bytes() if profile.exists() else b""
    new = _with_block(old, path_block(bindir))
    if new == old:
        done.append(f"unchanged {profile}")
    else:
        writer.write(profile, new)
        if not old:
            done.append(f"wrote {profile} (puts {bindir} on PATH in a login shell)")
        elif BEGIN in old:
            done.append(f"updated {profile} (its scalelab block only: {bindir} on PATH)")
        else:
            done.append(
                f"wrote {profile} (added a block at its end: {bindir} on PATH; your lines are kept)"
            )
    return done


def configured_course(home: Path) -> Path | None:
    """The course folder that ``home/.jupyter/nbgrader_config.py`` names as ``CourseDirectory.root``
    (as ``hub-config instructor`` and nbgrader's hub setup write it: one string literal), when that
    folder is a course; else None."""
    config = Path(home) / ".jupyter" / "nbgrader_config.py"
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.findall(r"^c\.CourseDirectory\.root\s*=\s*(\"[^\"\n]*\"|'[^'\n]*')\s*$", text, re.M)
    if not found:
        return None
    try:
        course = Path(ast.literal_eval(found[-1]))
    except (ValueError, SyntaxError):
        return None
    return course if (course / "nbgrader_config.py").is_file() else None
