"""`make lab` serves JupyterLab with the welcome notebook (headless: it prints the URL).

It runs in a temporary copy of the checkout (with the venv running the tests), so the real checkout
never gets a my-work/ from the test.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from testrun import free_ports

ROOT = Path(__file__).resolve().parents[1]


def _copy_of_checkout(dest: Path) -> Path:
    """The checkout's files as they are now (tracked and new, not ignored ones) copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except OSError:
        return 0, b""


def test_make_lab_serves_the_welcome_notebook(tmp_path: Path) -> None:
    # No token given: JupyterLab makes one and prints the address with it, as for a learner, and
    # the test reads it from the log the way a learner would copy it.
    [port] = free_ports()
    flags = f"--no-browser --ip=127.0.0.1 --port={port}"
    log = tmp_path / "lab.log"
    checkout = _copy_of_checkout(tmp_path / "checkout")
    real_work = _listing(ROOT / "my-work")
    venv = Path(sys.prefix)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        # The copy's library, not the checkout's that the venv installed in editable mode.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(checkout / "lib"), os.environ.get("PYTHONPATH")])
        ),
    }
    with log.open("w") as out:
        lab = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                # The tests' venv as it is: never reinstalled (that would point it at the copy).
                f"--old-file={venv / '.installed-stamp'}",
                "lab",
                f"VENV={venv}",
                f"LAB_FLAGS={flags}",
            ],
            cwd=checkout,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        address = re.compile(rf"{re.escape(base)}/lab(?:/tree/\S*)?\?token=(\w+)")
        deadline = time.monotonic() + 90
        while not (found := address.search(log.read_text())) or (
            _get(f"{base}/api/status?token={found[1]}")[0] != 200
        ):
            assert lab.poll() is None, f"make lab exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, (
                f"JupyterLab did not print its address with a token, or did not answer:\n"
                f"{log.read_text()}"
            )
            time.sleep(0.5)
        token = found[1]
        lines = log.read_text().splitlines()
        first = next(k for k, line in enumerate(lines) if address.search(line))
        assert first < 15, (
            f"expected the address within the first lines of make lab's output, got it on line "
            f"{first + 1}:\n" + "\n".join(lines[: first + 1])
        )
        status, body = _get(f"{base}/api/contents/course/00-welcome.ipynb?token={token}")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        status, page = _get(f"{base}/lab/tree/course/00-welcome.ipynb?token={token}")
        assert status == 200 and b"JupyterLab" in page
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
    assert (checkout / "my-work" / "05-load-balancer" / "05-load-balancer.ipynb").is_file(), (
        f"make lab did not make the learner's my-work/ in the copy:\n{log.read_text()}"
    )
    assert _listing(ROOT / "my-work") == real_work, "make lab touched the real checkout's my-work/"
