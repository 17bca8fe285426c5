"""`make lab` serves JupyterLab with the welcome notebook (headless: it prints the URL)."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except OSError:
        return 0, b""


def test_make_lab_serves_the_welcome_notebook(tmp_path: Path) -> None:
    port, token = _free_port(), "scalelab-test-token"
    flags = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        lab = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config")},
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while _get(f"{base}/api/status?token={token}")[0] != 200:
            assert lab.poll() is None, f"make lab exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()}"
            time.sleep(0.5)
        status, body = _get(f"{base}/api/contents/course/00-welcome.ipynb?token={token}")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        status, page = _get(f"{base}/lab/tree/course/00-welcome.ipynb?token={token}")
        assert status == 200 and b"JupyterLab" in page
        assert f"127.0.0.1:{port}/lab" in log.read_text(), "the URL is printed for headless use"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
