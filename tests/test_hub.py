"""A class on JupyterHub, end to end: one teacher and three students on a real hub on 127.0.0.1.

The hub runs the shared-password authenticator and SimpleLocalProcessSpawner (every server runs as
this OS account, each user with a home of their own in a temporary folder), the Python
configurable-http-proxy, and single-user servers from this repository's venv. The configuration is
what a teacher writes with ``scalelab teach hub-config``: a system-wide nbgrader_config.py (the
exchange; JUPYTER_CONFIG_PATH stands in for /etc/jupyter) and the instructor's ~/.jupyter one.

Students fetch, edit (through the Contents API) and submit through the endpoints JupyterLab's
Assignments panel calls; the teacher runs ``scalelab teach …`` in a JupyterLab terminal over its
websocket. alice hands in the right answers, bob a wrong one, carol a blank notebook. Then: marks,
a hand grade, feedback that reaches the students, the export, the formgrader; screenshots of
alice's Assignments panel and of the formgrader in headless Chromium; and the sizing numbers
(memory per server, spawn time, grading time per student) in tests/artifacts/hub/sizing.json.

Locally the test skips when JupyterHub, configurable-http-proxy, Playwright or Chromium is missing;
in CI (CI=true, 1 or yes) a missing piece is a failure. Everything it starts (hub, proxy, user
servers, kernels, terminals, graders) carries a marker in its environment and is stopped at the
end, also when the test fails. Logs, the teacher's terminal and the screenshots go to
tests/artifacts/hub/, emptied when the test starts and kept after a failing run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from submissions import reference_answers
from testrun import CHROMIUM, CHROMIUM_FLAGS, free_ports, once_per_run, require
from wrong_solutions.w01_single_server import WRONG

from scalelab.teach.hub import FORMGRADER, TEACHER_LAB_EXTENSIONS

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "hub"
BIN = Path(sys.executable).parent  # the venv running the tests: hub, proxy and servers come from it
NAME = "01-single-server"  # the smallest exercise with a written answer (graded by hand)
WRITTEN = "target-answer"
TEACHER = "teacher"
STUDENTS = ["alice", "bob", "carol"]
PASSWORD = "scalelab-hub-test"  # the shared password (≥ 8 characters)
SERVICE = "scalelab-test"
# What the test's service may do: start servers, read their state (pids), mint user tokens.
SERVICE_SCOPES = [
    "admin:users",
    "admin:servers",
    "admin:server_state",
    "tokens",
    "access:servers",
    "list:users",
]
MARKER = "SCALELAB_HUB_TEST"  # an environment variable every process the test starts inherits
WAIT = 120  # seconds: the longest any step may take on a slow CI machine
LOAD_MS = 30_000  # milliseconds a page may take to show what the screenshot is for
LAB_SETTINGS = {  # no news or update toasts over the screenshots
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
BOB_MISTAKE = "capacity forgets the cores"

pytestmark = pytest.mark.xdist_group("hub")


HOW = (
    "install the test extra (.venv/bin/pip install -e '.[test]': jupyterhub, "
    "configurable-http-proxy, playwright) and Chromium (apt-get install -y chromium), or run "
    "`make test CI=true`"
)


def _require(present: bool, what: str) -> None:
    """Skip locally, fail in CI, when a piece the hub test needs is missing."""
    require(present, what, "hub", HOW)


def _marked(value: str) -> list[int]:
    """Live processes whose environment holds MARKER=value."""
    needle = f"{MARKER}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


# -- the configuration a teacher writes -------------------------------------------------------


def _teach(*args: str) -> str:
    """Run ``scalelab teach …`` as the hub's administrator would, before the hub starts."""
    done = subprocess.run(
        [str(BIN / "scalelab"), "teach", *args], capture_output=True, text=True, timeout=WAIT
    )
    with (ARTIFACTS / "hub-config.txt").open("a") as log:
        log.write(f"$ scalelab teach {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    assert done.returncode == 0, f"scalelab teach {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _configure(base: Path) -> dict[str, Path]:
    """Homes, the course in the teacher's home, the system config and the exchange."""
    homes = base / "home"
    teacher = homes / TEACHER
    course = teacher / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / NAME, course / "solutions" / NAME)
    (course / "roster.csv").write_text(
        "id,first_name,last_name\n" + "".join(f"{s},{s.title()},Student\n" for s in STUDENTS)
    )
    system, exchange = base / "etc-jupyter", base / "exchange"
    # What a teacher runs: the system-wide configuration (JUPYTER_CONFIG_PATH stands in for
    # /etc/jupyter) and the instructor's (~/.jupyter, and PATH in a login shell).
    _teach(
        "--course",
        str(course),
        "hub-config",
        "system",
        "--dir",
        str(system),
        "--exchange",
        str(exchange),
        "--profile-dir",
        str(base / "profile.d"),
    )
    _teach("--course", str(course), "hub-config", "instructor", "--home", str(teacher))
    # TEACHING.md's sys-prefix commands turn nbgrader's teacher menus and the Formgrader off for
    # everyone: here for the students only (see the hub's Spawner.environment).
    students = base / "students-etc-jupyter"
    (students / "labconfig").mkdir(parents=True)
    (students / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(TEACHER_LAB_EXTENSIONS, True)})
    )
    (students / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {FORMGRADER: False}}})
    )
    for user in [TEACHER, *STUDENTS]:
        home = homes / user
        for plugin, values in LAB_SETTINGS.items():
            path = home / ".jupyter/lab/user-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
    for student in STUDENTS:
        # On TLJH the student id is the OS account's name; here every server runs as one account.
        (homes / student / ".jupyter" / "nbgrader_config.py").write_text(
            f'c = get_config()\nc.CourseDirectory.student_id = "{student}"\n'
        )
    return {
        "homes": homes,
        "course": course,
        "system": system,
        "exchange": exchange,
        "students": students,
    }


def _hub_config(
    base: Path, paths: dict[str, Path], ports: list[int], marker: str, token: str
) -> str:
    public, api, hub = ports
    args = ["--allow-root"] if os.geteuid() == 0 else []
    # The servers' PATH does not hold the venv's commands, as a login shell's PATH may not (Debian's
    # /etc/profile resets it; Ubuntu's keeps it): `scalelab` must come from the profile that
    # hub-config instructor writes, on any machine. Only `alembic` is there, in a folder of its own:
    # nbgrader's gradebook runs it by name, and without it the formgrader answers 500.
    shims = base / "bin"
    shims.mkdir()
    (shims / "alembic").symlink_to(BIN / "alembic")
    system_path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != str(BIN)]
    server_path = os.pathsep.join([str(shims), *system_path])
    environment = {
        "JUPYTER_CONFIG_PATH": str(paths["system"]),
        "PATH": server_path,
        MARKER: marker,
    }
    roles = [{"name": SERVICE, "scopes": SERVICE_SCOPES, "services": [SERVICE]}]
    return f"""
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {public}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.command = [{str(BIN / "configurable-http-proxy")!r}]
c.JupyterHub.db_url = "sqlite:///{base / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = "{base / "jupyterhub_cookie_secret"}"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {PASSWORD!r}
c.Authenticator.allowed_users = {set([TEACHER, *STUDENTS])!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{paths["homes"]}/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {args!r}
c.Spawner.environment = {environment!r}
# Students' servers also read the settings TEACHING.md's sys-prefix commands write for everyone
# (nbgrader's teacher menus and the Formgrader off). Here they cannot go below ~/.jupyter, where
# hub-config instructor turns them back on for the teacher (only the environment's folder and the
# system's are below it, and this test writes to neither), so the teacher's server goes without.
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = lambda spawner: (
    {str(paths["system"])!r} if spawner.user.name == {TEACHER!r}
    else {str(paths["students"]) + os.pathsep + str(paths["system"])!r}
)
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {WAIT}
c.Spawner.http_timeout = {WAIT}
c.JupyterHub.services = [{{"name": {SERVICE!r}, "api_token": {token!r}}}]
c.JupyterHub.load_roles = {roles!r}
"""


# -- the hub --------------------------------------------------------------------------------


class Hub:
    """A running JupyterHub: its URL, the service's API, the users' tokens and servers."""

    def __init__(self, url: str, token: str, process: subprocess.Popen, paths: dict) -> None:
        import requests

        self.url, self.process, self.paths = url, process, paths
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.tokens: dict[str, str] = {}
        self.spawn_seconds: dict[str, float] = {}

    def api(self, method: str, path: str, **kwargs) -> object:
        response = self.session.request(method, f"{self.url}/hub/api{path}", timeout=30, **kwargs)
        assert response.status_code < 400, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.text else None

    def user(self, name: str, method: str, path: str, **kwargs):  # noqa: ANN201 (a Response)
        """A request to ``name``'s server with ``name``'s token (no XSRF check for a token)."""
        headers = {"Authorization": f"token {self.tokens[name]}"}
        return self.session.request(
            method, f"{self.url}/user/{name}{path}", headers=headers, timeout=WAIT, **kwargs
        )

    def spawn(self, name: str) -> None:
        """Start ``name``'s server, wait until the hub says it is ready, and mint a token."""
        started = time.monotonic()
        self.api("POST", f"/users/{name}/server")
        deadline = started + WAIT
        while not (self.api("GET", f"/users/{name}")["servers"].get("") or {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start in {WAIT} s"
            time.sleep(0.2)
        self.spawn_seconds[name] = time.monotonic() - started
        scopes = [f"access:servers!user={name}"]
        self.tokens[name] = self.api(
            "POST", f"/users/{name}/tokens", json={"scopes": scopes, "note": "test"}
        )["token"]

    def server_pid(self, name: str) -> int:
        return int(self.api("GET", f"/users/{name}")["servers"][""]["state"]["pid"])

    def home(self, name: str) -> Path:
        return self.paths["homes"] / name


def _stop(process: subprocess.Popen, marker: str) -> list[int]:
    """Stop the hub (it stops the proxy and the user servers), then kill whatever is left
    of what the test started. Returns the processes that outlived the hub's own shutdown."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    left = _marked(marker)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A JupyterHub on free loopback ports with the four users' servers running."""
    try:
        import jupyterhub  # noqa: F401
        import requests  # noqa: F401
    except ImportError:
        _require(False, "JupyterHub is not installed")
    for program in ("jupyterhub", "jupyterhub-singleuser", "configurable-http-proxy"):
        _require((BIN / program).is_file(), f"no {program} in {BIN}")
    _require(CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _require(False, "Playwright for Python is not installed")
    once_per_run("the hub test's JupyterHub")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    print(f"\nhub test: logs, screenshots and sizing in {ARTIFACTS}")
    base = tmp_path_factory.mktemp("hub")
    paths = _configure(base)
    marker, token = uuid.uuid4().hex, secrets.token_hex(32)
    ports = free_ports(3)
    config = base / "jupyterhub_config.py"
    config.write_text(_hub_config(base, paths, ports, marker, token))
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != str(BIN))
    env = {**os.environ, "PATH": path, MARKER: marker}  # the hub needs no venv on PATH either
    log = (ARTIFACTS / "jupyterhub.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "jupyterhub"), "-f", str(config)],
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    hub = Hub(f"http://127.0.0.1:{ports[0]}", token, process, paths)
    try:
        deadline = started + WAIT
        while True:
            assert process.poll() is None, "JupyterHub exited early: see jupyterhub.log"
            assert time.monotonic() < deadline, "JupyterHub did not answer: see jupyterhub.log"
            try:
                if hub.session.get(f"{hub.url}/hub/api/", timeout=5).status_code == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        hub.hub_start_seconds = time.monotonic() - started
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(hub.spawn, [TEACHER, *STUDENTS]))
        hub.all_spawned_seconds = time.monotonic() - started - hub.hub_start_seconds
        yield hub
    finally:
        left = _stop(process, marker)
        log.close()
        if left:
            print(f"hub test: killed {len(left)} process(es) left after the hub stopped: {left}")
        assert not _marked(marker), "processes of the hub test are still running"


class Terminal:
    """A JupyterLab terminal of ``user``'s server, driven over its websocket as the browser does:
    ``["stdin", "…\r"]`` in, ``["stdout", …]`` out. Keeps a transcript."""

    ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r")

    def __init__(self, hub: Hub, user: str, transcript: Path) -> None:
        import websocket

        response = hub.user(user, "POST", "/api/terminals")
        assert response.status_code == 200, f"no terminal: {response.status_code} {response.text}"
        name = response.json()["name"]
        self.ws = websocket.create_connection(
            f"{hub.url.replace('http', 'ws', 1)}/user/{user}/terminals/websocket/{name}",
            header=[f"Authorization: token {hub.tokens[user]}"],
            timeout=WAIT,
        )
        self.ws.send(json.dumps(["set_size", 50, 250, 800, 2000]))
        self.transcript = transcript
        self.count = 0

    def run(self, command: str, timeout: float = WAIT) -> tuple[int, str, float]:
        """Type ``command``, wait for it to end; return its exit status, output and seconds."""
        self.count += 1
        tag = f"{self.count}x{secrets.token_hex(3)}"
        # The typed line echoes as "@@$?@@""tag"; only the shell's output reads @@<status>@@tag.
        done = re.compile(rf"@@(\d+)@@{tag}")
        started = time.monotonic()
        self.ws.send(json.dumps(["stdin", f'{command}; echo "@@$?@@""{tag}"\r']))
        text = ""
        while not (found := done.search(text)):
            assert time.monotonic() - started < timeout, f"{command!r} did not end:\n{text}"
            message = json.loads(self.ws.recv())
            if message[0] == "stdout":
                text += self.ANSI.sub("", message[1])
            elif message[0] == "disconnect":
                raise AssertionError(f"the terminal closed while running {command!r}:\n{text}")
        seconds = time.monotonic() - started
        with self.transcript.open("a") as log:
            log.write(f"$ {command}    # {seconds:.1f} s\n{text[: found.start()]}\n")
        return int(found.group(1)), text[: found.start()], seconds

    def ok(self, command: str) -> str:
        status, output, _ = self.run(command)
        assert status == 0, f"{command!r} exited with {status}:\n{output}"
        return output

    def close(self) -> None:
        self.ws.close()


def _assignment(hub: Hub, student: str, action: str) -> list[dict]:
    """POST /user/<student>/assignments/<action> as the Assignments panel does; the list it returns."""
    body = {"course_id": "scalelab", "assignment_id": NAME}
    response = hub.user(student, "POST", f"/assignments/{action}", json=body)
    assert response.status_code == 200, f"{student} {action}: {response.status_code}"
    answer = response.json()
    assert answer.get("success"), f"{student} {action} failed: {answer.get('value')}"
    return answer["value"]


def _status(listing: list[dict]) -> set[str]:
    return {a["status"] for a in listing if a["assignment_id"] == NAME}


def _hand_in(hub: Hub, student: str, answers: dict[str, str]) -> list[dict]:
    """Fetch, fill the answer cells through the Contents API, submit."""
    assert "fetched" in _status(_assignment(hub, student, "fetch")), f"{student} fetched nothing"
    path = f"/api/contents/{NAME}/{NAME}.ipynb"
    model = hub.user(student, "GET", path).json()
    assert model.get("type") == "notebook", f"{student} has no {NAME}.ipynb: {model}"
    notebook = model["content"]
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    saved = hub.user(
        student, "PUT", path, json={"type": "notebook", "format": "json", "content": notebook}
    )
    assert saved.status_code == 200, f"{student} could not save: {saved.status_code} {saved.text}"
    listing = _assignment(hub, student, "submit")
    assert "submitted" in _status(listing), f"{student}'s submission is not listed: {listing}"
    return listing


def _rss(pid: int) -> int:
    """Bytes of resident memory of a process and all its descendants (kernels, terminals)."""
    import psutil

    process = psutil.Process(pid)
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def _run_notebook(hub: Hub, student: str) -> float:
    """Run the student's notebook once in a kernel of their server, cell by cell, over the kernel's
    websocket as JupyterLab does; return the seconds it took."""
    import websocket

    started = time.monotonic()
    path = f"{NAME}/{NAME}.ipynb"
    session = hub.user(
        student,
        "POST",
        "/api/sessions",
        json={
            "path": path,
            "name": f"{NAME}.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    ).json()
    kernel, sid = session["kernel"]["id"], uuid.uuid4().hex
    notebook = hub.user(student, "GET", f"/api/contents/{path}").json()["content"]
    ws = websocket.create_connection(
        f"{hub.url.replace('http', 'ws', 1)}/user/{student}/api/kernels/{kernel}/channels"
        f"?session_id={sid}",
        header=[f"Authorization: token {hub.tokens[student]}"],
        timeout=WAIT,
    )
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            msg_id = uuid.uuid4().hex
            header = {
                "msg_id": msg_id,
                "session": sid,
                "username": student,
                "msg_type": "execute_request",
                "version": "5.3",
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            content = {
                "code": "".join(cell["source"]),
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            }
            ws.send(
                json.dumps(
                    {
                        "header": header,
                        "parent_header": {},
                        "metadata": {},
                        "content": content,
                        "channel": "shell",
                        "buffers": [],
                    }
                )
            )
            while True:
                reply = json.loads(ws.recv())
                if (
                    reply.get("msg_type") == "execute_reply"
                    and reply["parent_header"].get("msg_id") == msg_id
                ):
                    break
            assert reply["content"]["status"] == "ok", (
                f"{student}'s notebook failed: {reply['content']}"
            )
    finally:
        ws.close()
    return time.monotonic() - started


def _screenshots(hub: Hub) -> None:
    """alice's Assignments panel and the teacher's formgrader, logged in through the hub's form."""
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            for user in ("alice", TEACHER):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.on("console", lambda m, u=user: console.append(f"{u} {m.type}: {m.text}"))
                try:
                    page.goto(f"{hub.url}/hub/login", timeout=LOAD_MS)
                    page.fill("#username_input", user)
                    page.fill("#password_input", PASSWORD)
                    page.click("#login_submit")
                    if user == TEACHER:
                        # Its own tab: the hub forbids framing, so not inside JupyterLab.
                        page.goto(f"{hub.url}/user/{TEACHER}/formgrader", timeout=LOAD_MS)
                        page.get_by_text(NAME, exact=True).first.wait_for(timeout=LOAD_MS)
                        page.screenshot(path=ARTIFACTS / "teacher-formgrader.png")
                        continue
                    page.wait_for_url(f"**/user/{user}/lab**", timeout=LOAD_MS)
                    page.locator("#jp-main-statusbar").wait_for(timeout=LOAD_MS)
                    page.get_by_text("Nbgrader", exact=True).click()
                    page.get_by_text("Assignment List", exact=True).click()
                    # Submitted, with the feedback fetched: "(view feedback)" under it.
                    page.get_by_text("(view feedback)").wait_for(timeout=LOAD_MS)
                    page.wait_for_timeout(500)
                    page.screenshot(path=ARTIFACTS / f"{user}-assignments.png")
                except BaseException:
                    page.screenshot(path=ARTIFACTS / f"{user}-FAILED.png")
                    raise
                finally:
                    context.close()
        finally:
            browser.close()
            (ARTIFACTS / "browser-console.log").write_text("\n".join(console))


def _hub_and_proxy_rss(hub: Hub) -> dict[str, float]:
    import psutil

    process = psutil.Process(hub.process.pid)
    proxies = [p for p in process.children() if "configurable-http-proxy" in " ".join(p.cmdline())]
    return {
        "hub": process.memory_info().rss / 2**20,
        "proxy": sum(p.memory_info().rss for p in proxies) / 2**20,
    }


def _respawn_alone(hub: Hub, name: str) -> float:
    """Stop ``name``'s server and start it again with no other spawn under way: seconds to ready."""
    hub.api("DELETE", f"/users/{name}/server")
    deadline = time.monotonic() + WAIT
    while hub.api("GET", f"/users/{name}")["servers"].get(""):
        assert time.monotonic() < deadline, f"{name}'s server did not stop"
        time.sleep(0.2)
    hub.spawn(name)
    return hub.spawn_seconds[name]


def _record_sizing(sizing: dict) -> None:
    """Write the sizing numbers to tests/artifacts/hub/sizing.json and show them."""
    (ARTIFACTS / "sizing.json").write_text(json.dumps(sizing, indent=1))
    print("\nhub sizing (tests/artifacts/hub/sizing.json):")
    for key, value in sizing.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.1f}" for k, v in value.items())
        else:
            value = f"{value:.1f}"
        print(f"  {key}: {value}")


def _flagged(hub: Hub) -> dict[str, bool]:
    """Which submissions the formgrader flags as needing grading by hand."""
    submissions = hub.user(TEACHER, "GET", f"/formgrader/api/submissions/{NAME}").json()
    return {s["student"]: s["needs_manual_grade"] for s in submissions}


def _disabled_lab_extensions(hub: Hub, name: str) -> set[str]:
    """The JupyterLab extensions ``name``'s page turns off (its page config, in the /lab page)."""
    page = hub.user(name, "GET", "/lab").text
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, f"no page config in {name}'s /lab page"
    disabled = json.loads(found.group(1)).get("disabledExtensions", {})
    if isinstance(disabled, list):
        return set(disabled)
    return {extension for extension, off in disabled.items() if off}


def _grades(csv_file: Path) -> dict[str, float]:
    with csv_file.open(newline="") as f:
        return {
            row["student_id"]: float(row["score"])
            for row in csv.DictReader(f)
            if row["assignment"] == NAME
        }


def test_a_class_on_jupyterhub(hub: Hub) -> None:
    answers = reference_answers(NAME)
    right = answers | {WRITTEN: "Two cores at 70 % utilisation: about 50 ms."}
    wrong = answers | WRONG[BOB_MISTAKE]
    sizing: dict = {
        "s hub start": hub.hub_start_seconds,
        "s to spawn, 4 at once": hub.spawn_seconds.copy(),
        "MiB per server after start": {
            u: _rss(hub.server_pid(u)) / 2**20 for u in [TEACHER, *STUDENTS]
        },
        "MiB hub and proxy": _hub_and_proxy_rss(hub),
    }

    terminal = Terminal(hub, TEACHER, ARTIFACTS / "teacher-terminal.txt")
    try:
        # The teacher's commands are found in a `bash -l` terminal (the profile puts them back).
        found = terminal.ok("command -v scalelab").strip().splitlines()[-1]
        assert found == str(BIN / "scalelab"), f"the terminal's scalelab is {found!r}"
        terminal.ok("cd ~/course")
        terminal.ok("scalelab teach roster roster.csv")
        # No --exchange: the Exchange.root of the system configuration is used.
        released = terminal.ok(f"scalelab teach release {NAME}")
        assert f"released {NAME} to the exchange {hub.paths['exchange']}" in released, released

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(_hand_in, [hub] * 3, STUDENTS, [right, wrong, {}]))
        sizing["s for 3 students to fetch, edit, submit at once"] = time.monotonic() - started
        sizing["s for alice to run her notebook"] = _run_notebook(hub, "alice")
        sizing["MiB of alice's server and kernel after running it"] = (
            _rss(hub.server_pid("alice")) / 2**20
        )

        collected = terminal.ok(f"scalelab teach collect {NAME}")
        assert f"3 submissions of {NAME}" in collected
        # Every server runs as this one account here: collect says who submitted cannot be checked.
        assert "who submitted cannot" in " ".join(collected.split()), collected

        status, graded, seconds = terminal.run(f"scalelab teach autograde {NAME}")
        assert status == 0, graded
        sizing["s of teach autograde per student"] = seconds / len(STUDENTS)
        marks = {
            line.split()[0]: line
            for line in graded.splitlines()
            if line.split()[:1] in ([s] for s in STUDENTS)
        }
        assert "6/6 autograded" in marks["alice"], graded
        assert "0/6 autograded" in marks["carol"], graded
        # carol's written answer is as handed out: nbgrader scored it 0, no one has to grade it
        assert "written answer left blank: 0/2" in marks["carol"], graded
        bob = float(re.search(r"([\d.]+)/6 autograded", marks["bob"]).group(1))
        assert 0 < bob < 6, graded

        flagged = _flagged(hub)
        assert flagged["alice"], f"alice's written answer is not waiting for a hand mark: {flagged}"
        assert not flagged["carol"], f"carol's blank answer is flagged for a hand mark: {flagged}"
        marked = terminal.ok(f'scalelab teach mark {NAME} alice {WRITTEN} 2 --comment "Right."')
        assert "by hand 2/2" in marked, marked
        flagged = _flagged(hub)
        assert not flagged["alice"], f"alice is still flagged for grading by hand: {flagged}"

        assert "3 feedback pages" in terminal.ok(f"scalelab teach feedback {NAME}")
        terminal.ok(f"nbgrader release_feedback {NAME}")
        for student in STUDENTS:
            _assignment(hub, student, "fetch_feedback")
            pages = list(hub.home(student).glob(f"{NAME}/feedback/*/{NAME}.html"))
            assert pages, f"{student} fetched no feedback"
            if student == "alice":
                assert "Right." in pages[0].read_text(), "alice's feedback lacks the hand comment"

        terminal.ok("scalelab teach export grades.csv")
        grades = _grades(hub.paths["course"] / "grades.csv")
        assert grades == {"alice": 8.0, "bob": bob, "carol": 0.0}, grades
    finally:
        terminal.close()

    # The formgrader answers, and finds the exercise in the course's solutions/ (its server runs
    # in the teacher's home: only ~/.jupyter's configuration leads it to the course).
    assert hub.user(TEACHER, "GET", "/formgrader").status_code == 200
    listed = hub.user(TEACHER, "GET", "/formgrader/api/assignments").json()
    assert [(a["name"], a["num_submissions"]) for a in listed] == [(NAME, 3)], listed
    source = Path(listed[0]["source_path"])
    assert source.parts[-2:] == ("solutions", NAME), listed
    # Students have neither the Formgrader nor the teacher's menus; the teacher has both.
    assert hub.user("alice", "GET", "/formgrader").status_code == 404
    assert _disabled_lab_extensions(hub, "alice") >= set(TEACHER_LAB_EXTENSIONS)
    assert not _disabled_lab_extensions(hub, TEACHER) & set(TEACHER_LAB_EXTENSIONS)
    _screenshots(hub)
    sizing["s to spawn one server alone"] = _respawn_alone(hub, "carol")
    sizing["MiB hub and proxy at the end"] = _hub_and_proxy_rss(hub)
    _record_sizing(sizing)
