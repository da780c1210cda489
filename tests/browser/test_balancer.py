"""Hosting for a class: two replicas behind nginx, with deploy/nginx.conf as it is shipped (only the
replicas' addresses and the listening port swapped for loopback ones), and a server restarted under
an open page. A session stays on one replica; when that replica dies, or the server restarts, the
open page reconnects by itself and rebuilds the same view from its URL, with a calm notice and
never Streamlit's "server is not responding" modal.

nginx is Debian's package (``apt-get install nginx``, as .ci/run does), run in the foreground as a
child of the test, with its prefix, logs and temporary files under the test's tmp folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.browser import ROOT, AppPage, AppServer, _die_with_parent, free_port, new_context

pytestmark = pytest.mark.browser

CONFIG = ROOT / "deploy" / "nginx.conf"
# Settings, a view and an iteration, all in the URL; 200 iterations keep the cold replica's first run short.
VIEW = "/Lab?iterations=200&update=data&view=Printed+output&zero_grad=false&at=3"
RECONNECT_MS = 60_000  # the replica (or the restarted server) runs the page cold: imports torch first
MAIN_CONFIG = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
# Each change of the connection state, whether Streamlit's modal is open (in the page) and shown
# (visible), and the notice's text.
WATCH_JS = r"""
(() => {
  const seen = (window.__gddConnection = []);
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return;
    const dialog = document.querySelector('[data-testid="stDialog"] [role="dialog"]');
    const shown = dialog && dialog.getClientRects().length > 0 && getComputedStyle(dialog).visibility !== 'hidden';
    const row = [app.getAttribute('data-test-connection-state'), Boolean(dialog), Boolean(shown),
                 getComputedStyle(app, '::after').content];
    const last = seen[seen.length - 1];
    if (!last || last.join() !== row.join()) seen.push(row);
  }).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""


def site_config(listen: int, replicas: list[int]) -> str:
    """deploy/nginx.conf with loopback replicas and port; fails if the file no longer has the lines it swaps."""
    text = CONFIG.read_text()
    text, servers = re.subn(
        r"^(\s*)server app:8501 (.*);$",
        lambda m: "\n".join(f"{m[1]}server 127.0.0.1:{port} {m[2]};" for port in replicas),
        text,
        flags=re.MULTILINE,
    )
    text, listens = re.subn(r"^(\s*)listen 8080;$", rf"\1listen 127.0.0.1:{listen};", text, flags=re.MULTILINE)
    assert (servers, listens) == (1, 1), "deploy/nginx.conf no longer has one 'server app:8501 ...;' and 'listen 8080;'"
    return text


class Nginx:
    """Debian's nginx in the foreground, one process, everything it writes under ``tmp``."""

    def __init__(self, tmp: Path, replicas: list[int]) -> None:
        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (tmp / "site.conf").write_text(site_config(self.port, replicas))
        (tmp / "nginx.conf").write_text(MAIN_CONFIG.format(tmp=tmp))

    def __enter__(self) -> Nginx:
        command = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", f"{self.tmp}/", "-e", f"{self.tmp}/error.log"]
        self.process = subprocess.Popen(
            [*command, "-c", f"{self.tmp}/nginx.conf"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"nginx exited:\n{self.log()}"
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer,
            ):
                if answer.read().strip() == b"ok":
                    return self
            time.sleep(0.2)
        raise AssertionError(f"nginx did not answer within 15 s:\n{self.log()}")

    def log(self) -> str:
        return (self.tmp / "error.log").read_text(errors="replace")[-3000:] if (self.tmp / "error.log").exists() else ""

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def nginx_available() -> None:
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        pytest.skip("no nginx found: install Debian's package (apt-get install nginx) to run the balancer test")


@pytest.fixture
def replicas(nginx_available, browser, monkeypatch) -> Iterator[list[AppServer]]:
    """Two app servers sharing one cookie secret, as replicas must (their XSRF cookies are signed with it)."""
    monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", "the-replicas-of-one-class-share-this")
    servers = [AppServer(), AppServer()]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def shown(app: AppPage) -> dict:
    """What the Lab shows: the settings in the URL, the view, the iteration, and the printed iterations."""
    return {
        "update": app.chosen("update"),
        "zero_grad": app.is_on("zero_grad"),
        "iterations": app.value("iterations"),
        "view": app.page.locator('.st-key-view button[aria-checked="true"]').inner_text(),
        "at": app.value("at"),
        "code and printed iterations": app.codes(),
        "exceptions": app.exceptions(),
    }


def replica(app: AppPage) -> str:
    """The replica nginx sends this browser's requests to, from the header the deploy config adds."""
    response = app.page.context.request.get(f"{app.base_url}/_stcore/health")
    assert response.ok, response.status
    return response.headers["x-upstream"]


def wait_rebuilt(app: AppPage, lose) -> dict:
    """Lose the server with ``lose()``, then wait for the page to reconnect, rerun by itself and show the run."""
    return app.act(lose, timeout=RECONNECT_MS)


def connection_states(app: AppPage) -> list[list]:
    return app.page.evaluate("window.__gddConnection")


def test_a_session_stays_on_its_replica_and_moves_when_it_dies(browser, replicas, tmp_path) -> None:
    by_address = {f"127.0.0.1:{server.port}": server for server in replicas}
    with Nginx(tmp_path, [server.port for server in replicas]) as nginx:
        context = new_context(browser)
        context.add_init_script(WATCH_JS)
        app = AppPage(context.new_page(), nginx.url)
        try:
            app.open(VIEW)
            first = replica(app)
            app.click(".st-key-step_forward button")  # iteration 4, in the URL
            assert "at=4" in app.page.url
            assert [replica(app) for _ in range(3)] == [first] * 3, "the session moved between replicas"
            before, url = shown(app), app.page.url
            assert before["at"] == "4" and before["view"] == "Printed output" and not before["exceptions"]

            dying = by_address[first]
            app.server = next(server for server in replicas if server is not dying)
            wait_rebuilt(app, lambda: os.killpg(dying.pid, signal.SIGKILL))

            assert replica(app) != first
            assert app.page.url == url
            assert shown(app) == before
            states = connection_states(app)
            assert any(state != "CONNECTED" for state, *_ in states), f"the page never lost its replica: {states}"
            assert not any(shown for _, _, shown, _ in states), f"Streamlit's modal was shown: {states}"
        finally:
            context.close()


def test_after_a_restart_the_page_reruns_itself_with_a_calm_notice(browser) -> None:
    port = free_port()
    server = AppServer(port=port).start()
    context = new_context(browser)
    context.add_init_script(WATCH_JS)
    app = AppPage(context.new_page(), server.url, server)
    try:
        app.open(VIEW)
        before = shown(app)

        def restart() -> None:
            nonlocal server
            os.killpg(server.pid, signal.SIGKILL)
            server.stop()
            time.sleep(3)  # with the new server's start, longer than the six health pings after which the modal opens
            server = AppServer(port=port).start()
            app.server = server

        wait_rebuilt(app, restart)
        assert shown(app) == before
        states = connection_states(app)
        notices = {notice for state, *_, notice in states if state != "CONNECTED"}
        assert any("Reconnecting to the server" in notice for notice in notices), states
        assert any(opened for _, opened, _, _ in states), f"Streamlit never opened its modal: {states}"
        assert not any(shown for _, _, shown, _ in states), f"Streamlit's modal was shown: {states}"
        assert all(notice == "none" for state, *_, notice in states if state == "CONNECTED"), states
    finally:
        context.close()
        server.stop()
