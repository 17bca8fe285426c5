"""Chapter 05 in a real browser: JupyterLab in headless Chromium, driven by Playwright.

What a learner does: open the chapter, Run All, move a slider of the control panel and see the plot
change; open the exercise, Run All with blank answers, fill them in, Run All again.

Locally the tests skip when Chromium or Playwright is missing; in CI (CI=true, 1 or yes) they must run,
so a missing piece is a failure (``make test`` installs both in CI). Screenshots of every step, the
JupyterLab log and the browser console go to tests/artifacts/browser/<test>/, one folder per test,
emptied when that test starts and kept after a failing run.
SCALELAB_CHROMIUM points at another Chromium binary (default /usr/bin/chromium).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from testrun import CHROMIUM, CHROMIUM_FLAGS, free_ports, once_per_run, require

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
COURSE = "course/05-load-balancer.ipynb"
EXERCISE = "my-work/05-load-balancer/05-load-balancer.ipynb"
TOKEN = "scalelab-browser-test-token"
# Bounded waits, in milliseconds: generous for a slow CI machine, short next to a hung run.
LOAD_MS = 60_000
RUN_ALL_MS = 90_000
REDRAW_MS = 30_000

pytestmark = pytest.mark.xdist_group("browser")

# User settings for the throw-away JupyterLab: every cell stays in the DOM (no windowing), and no
# news or update toasts cover the notebook.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

# The reference answers, typed into the learner's copy of the exercise.
ROUND_ROBIN = '''class RoundRobinBalancer(Balancer):
    """Servers in turn: 0, 1, …, n − 1, 0, 1, …"""

    def __init__(self) -> None:
        self.turn = 0

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        pick = self.turn % len(servers)
        self.turn = pick + 1
        return pick'''
HEALTH_AWARE = '''class HealthAwareBalancer(Balancer):
    """Round robin over the servers that health checks say are up."""

    def __init__(self) -> None:
        self.turn = 0

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            if servers[i].healthy:
                self.turn = i + 1
                return i
        return None'''
ALWAYS_FIRST = """class RoundRobinBalancer(Balancer):
    def choose(self, servers: Sequence[ServerView]) -> int | None:
        return 0"""

# The notebook's kernel is connected and idle. The execution indicator alone is not enough: it says
# "idle" for a moment after the page loads, before any kernel is attached, and cells run then are
# silently dropped. The kernel name and the status bar only turn to Python and "Idle" once it is.
KERNEL_READY_JS = """() => {
    const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
    const name = document.querySelector('.jp-NotebookPanel .jp-Toolbar-kernelName');
    const status = [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')];
    return indicator?.dataset.status === 'idle'
        && Boolean(name) && !['', 'No Kernel'].includes(name.textContent.trim())
        && status.some(item => item.textContent.trim().endsWith('| Idle'));
}"""

# Each code cell of the notebook: its prompt ("[3]:", "[*]:", "[ ]:"), source and output text;
# and the kernel execution indicator's status.
NOTEBOOK_STATE_JS = """panel => ({
    status: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status ?? null,
    cells: [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
        prompt: cell.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '',
        source: [...cell.querySelectorAll('.cm-line')].map(line => line.textContent).join('\\n'),
        output: cell.querySelector('.jp-OutputArea')?.innerText ?? '',
    })),
})"""


def _require(present: bool, what: str) -> None:
    """Skip locally, fail in CI, when a piece the browser test needs is missing."""
    how = (
        "install Chromium (apt-get install -y chromium, or set SCALELAB_CHROMIUM to a Chromium "
        "binary) and Playwright (.venv/bin/pip install playwright; never `playwright install`), "
        "or run `make test CI=true`, which installs both"
    )
    require(present, what, "browser", how)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """tests/artifacts/browser/<test>/, emptied when the test starts so every file in it is from
    this run; one folder per test, so two tests never empty each other's."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nbrowser test: screenshots and logs in {folder}")
    return folder


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Headless Chromium, launched by Playwright."""
    _require(CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "Playwright for Python is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Lab(str):
    """JupyterLab's base URL, and where it writes its log."""

    log: Path


@pytest.fixture(scope="module")
def lab(chromium: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free port, serving temporary copies of the chapter and its exercise.

    Its config, data, runtime, settings and workspace directories are temporary too: the test never
    touches the user's JupyterLab or the repository's files. Yields the base URL; each test copies
    the log into its artifacts.
    """
    once_per_run("the browser test's JupyterLab")
    home = tmp_path_factory.mktemp("lab")
    served = home / "served"
    for source, copy in [
        (COURSE, COURSE),
        ("exercises/05-load-balancer/05-load-balancer.ipynb", EXERCISE),
    ]:
        (served / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, served / copy)
    for plugin, values in SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    [port] = free_ports()
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={served}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    log = home / "jupyterlab.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=served,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        base = Lab(f"http://127.0.0.1:{port}")
        base.log = log
        deadline = time.monotonic() + LOAD_MS / 1000
        while _status(f"{base}/api/status?token={TOKEN}") != 200:
            assert server.poll() is None, f"JupyterLab exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()}"
            time.sleep(0.25)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _unrun(cells: list[dict]) -> list[str]:
    """The start of every non-empty code cell without an execution count.

    An empty cell (a hidden test's place in an exercise) has nothing to run and keeps "[ ]:".
    """
    ran = re.compile(r"\[\d+\]:")
    return [
        c["source"][:60] for c in cells if c["source"].strip() and not ran.fullmatch(c["prompt"])
    ]


class Learner:
    """One browser page on one notebook, with a screenshot after every step."""

    def __init__(self, page, artifacts: Path) -> None:
        self.page, self.artifacts = page, artifacts
        self.panel = page.locator(".jp-NotebookPanel")
        self.name, self.step = "browser", 0
        self.console: list[str] = []  # the browser console, written out when the test ends
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def shot(self, what: str) -> None:
        self.step += 1
        path = self.artifacts / f"{self.name}-{self.step:02d}-{what}.png"
        self.page.screenshot(path=path)

    @contextmanager
    def recorded(self) -> Iterator[None]:
        """Screenshot the page as it was when anything failed, and say where the pictures are."""
        try:
            yield
        except BaseException:
            try:
                self.shot("FAILED")
            finally:
                print(f"\nbrowser test {self.name} failed: screenshots in {self.artifacts}")
            raise

    def open(self, base: str, path: str, name: str) -> None:
        """Open a notebook in workspace ``name`` (no other tabs) and wait for an idle kernel.

        ``name`` also prefixes the screenshots and the browser console's log.
        """
        self.name = name
        self.page.goto(f"{base}/lab/workspaces/{self.name}/tree/{path}?token={TOKEN}")
        self.page.wait_for_function(KERNEL_READY_JS, timeout=LOAD_MS)
        self.panel.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=LOAD_MS)
        self.shot("opened")

    def state(self) -> dict:
        return self.panel.evaluate(NOTEBOOK_STATE_JS)

    def menu(self, menu: str, item: str) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()

    def run_all(self) -> list[dict]:
        """Clear every output, Run → Run All Cells, wait until the kernel is done; the cells after.

        Clearing first makes "done" unambiguous: every prompt is "[ ]:" before the run; when it is
        over the kernel is idle, no cell is "[*]:", and the cells that ran have numbers (JupyterLab
        stops at the first error and leaves the cells after it "[ ]:").
        """
        self.menu("Edit", "Clear Outputs of All Cells")
        self._wait("outputs cleared", LOAD_MS, lambda s: all(c["prompt"] == "[ ]:" for c in s))
        self.menu("Run", "Run All Cells")

        def done(cells: list[dict]) -> bool:
            prompts = [c["prompt"] for c in cells]
            return "[*]:" not in prompts and any(re.fullmatch(r"\[\d+\]:", p) for p in prompts)

        cells = self._wait("Run All Cells", RUN_ALL_MS, done, idle=True)
        self.shot("ran-all")
        return cells

    def _wait(self, what: str, timeout_ms: int, ok, idle: bool = False) -> list[dict]:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            state = self.state()
            if ok(state["cells"]) and (not idle or state["status"] == "idle"):
                return state["cells"]
            if time.monotonic() > deadline:
                prompts = [c["prompt"] for c in state["cells"]]
                raise AssertionError(
                    f"{what}: not done after {timeout_ms / 1000:.0f} s "
                    f"(kernel {state['status']}, prompts {prompts})"
                )
            self.page.wait_for_timeout(100)

    def type_into(self, cell, code: str) -> None:
        """Replace a cell's source the way a learner pastes code in (no auto-indent)."""
        cell.locator(".cm-content").click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Escape")  # leave edit mode
        source = "\n".join(cell.locator(".cm-line").all_text_contents())
        assert source == code, f"the editor holds something else than was typed:\n{source}"


@pytest.fixture
def learner(chromium, lab: Lab, artifacts: Path) -> Iterator[Learner]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(LOAD_MS)
    learner = Learner(context.new_page(), artifacts)
    try:
        yield learner
    finally:
        context.close()
        log = artifacts / f"{learner.name}-console.log"
        log.write_text("".join(f"{line}\n" for line in learner.console))
        shutil.copyfile(lab.log, artifacts / "jupyterlab.log")  # the server's log up to now


def test_chapter_05_control_panel_redraws_when_a_slider_moves(learner: Learner, lab: str) -> None:
    from playwright.sync_api import expect

    with learner.recorded():
        learner.open(lab, COURSE, "course")
        cells = learner.run_all()
        assert not _unrun(cells), f"cells that did not run: {_unrun(cells)}"
        failed = [c["source"][:60] for c in cells if "Traceback" in c["output"]]
        assert not failed, f"cells that raised: {failed}"

        panel = learner.panel.locator(".jp-CodeCell", has=learner.page.locator(".widget-slider"))
        expect(panel).to_have_count(1)
        plot = panel.locator(".jp-OutputArea-output img")
        expect(plot).to_have_count(1, timeout=REDRAW_MS)
        panel.scroll_into_view_if_needed()
        before = plot.get_attribute("src")
        assert before and before.startswith("data:image/png"), f"not a PNG plot: {before!r:.80}"
        learner.shot("control-panel")

        servers = panel.locator(
            ".widget-slider",
            has=learner.page.locator(".widget-label", has_text=re.compile("^servers$")),
        )
        expect(servers.locator(".widget-readout")).to_have_text("4")
        servers.locator(".noUi-handle").focus()
        learner.page.keyboard.press("ArrowRight")
        expect(servers.locator(".widget-readout")).to_have_text("5")
        expect(plot).not_to_have_attribute("src", before, timeout=REDRAW_MS)
        expect(plot).to_have_count(1)
        assert plot.get_attribute("src").startswith("data:image/png")
        learner.shot("five-servers")


def test_chapter_05_exercise_from_blank_to_passing(learner: Learner, lab: str) -> None:
    from playwright.sync_api import expect

    def cell(text: str):
        code = learner.panel.locator(
            ".jp-CodeCell", has=learner.page.locator(".cm-content", has_text=text)
        )
        expect(code).to_have_count(1)
        return code

    def output(cells: list[dict], text: str) -> str:
        [match] = [c for c in cells if text in c["source"]]
        return match["output"]

    with learner.recorded():
        learner.open(lab, EXERCISE, "exercise")

        # Blank answers: the first check of the first answer fails with the method to write, and
        # Run All stops there.
        cells = learner.run_all()
        assert "NotImplementedError" in output(cells, "picks(RoundRobinBalancer()"), cells

        # A wrong round robin: its visible test says what was expected and what came back.
        learner.type_into(cell("class RoundRobinBalancer"), ALWAYS_FIRST)
        learner.shot("wrong-answer")
        cells = learner.run_all()
        message = output(cells, "picks(RoundRobinBalancer()")
        assert "AssertionError: 7 picks on 3 servers: expected [0, 1, 2, 0, 1, 2, 0], but got " in (
            message
        ), message

        # Working answers: every visible test prints its check mark, the hidden ones run silently.
        learner.type_into(cell("class RoundRobinBalancer"), ROUND_ROBIN)
        learner.type_into(cell("class HealthAwareBalancer"), HEALTH_AWARE)
        learner.shot("answers")
        cells = learner.run_all()
        assert not _unrun(cells), f"cells that did not run: {_unrun(cells)}"
        assert not [c for c in cells if "Error" in c["output"]], cells
        assert output(cells, "picks(RoundRobinBalancer()").splitlines() == [
            "✔ 7 picks on 3 servers: [0, 1, 2, 0, 1, 2, 0]"
        ]
        assert output(cells, "picks(HealthAwareBalancer()").splitlines() == [
            "✔ server 1 is down: [0, 2, 0, 2]",
            "✔ every server down: [None, None]",
        ]
