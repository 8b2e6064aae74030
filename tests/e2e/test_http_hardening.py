"""HTTP hardening of the production build (issue 7 items 3-4): security headers on pages, API and file
routes, CORS and the websocket limited to our origins, no API docs, and Reflex's ``/_upload`` signed in
and refused while streaming (a 300 MB body answered 413 while the server's memory stays flat).

The browser part signs up, uploads a logo through the dashboard (the real ``/_upload`` request, whose
headers the raw HTTP checks then reuse) and checks that the page renders with the CSP on and no CSP
violation in the console. The e2e server allows ``http://127.0.0.1:<port>`` and ``http://localhost:<port>``
(``tests/topology.py``).
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import open_page, results_folder
from tests.conftest import FIXTURES
from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e
EVIL = "https://evil.example"
MIB = 1024 * 1024
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin",
                    "x-frame-options": "DENY"}


# ------------------------------------------------------------------------------------------------ helpers


def request(base: str, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; returns (status, lower-case headers, body)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def websocket_status(base: str, origin: str) -> int:
    """HTTP status of a websocket handshake on Reflex's event socket sent with ``Origin: origin``."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall((f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                break
            head += data
    return int(head.split(b" ", 2)[1])


def server_pids(port: int) -> list[int]:
    """Processes holding the server's listening socket (Granian's main process and its workers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.append(int(proc.name))
        except OSError:
            continue
    return sorted(pids)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler:
    """Samples the RSS of ``pids`` every 20 ms in a thread; ``peak_growth_mib`` per pid over the start."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = {p: rss_kib(p) for p in pids}
        self.peak = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for p in self.pids:
                self.peak[p] = max(self.peak[p], rss_kib(p))
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for p in self.pids:
            self.peak[p] = max(self.peak[p], rss_kib(p))

    def growth_mib(self) -> dict[int, float]:
        return {p: (self.peak[p] - self.start[p]) / 1024 for p in self.pids}


def stream_upload(base: str, headers: dict[str, str], total: int, chunk: int = 64 * 1024) -> tuple[int, int]:
    """POST ``total`` bytes of a multipart body to ``/_upload`` in chunked encoding, stopping as soon as the
    server answers (or closes). Returns (HTTP status, body bytes sent)."""
    parts = urlsplit(base)
    boundary = "----genpireboundary"
    head = (f"POST /_upload HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    preamble = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"huge.png\"\r\n"
                "Content-Type: image/png\r\n\r\n").encode()
    filler = b"\x00" * chunk
    sent = 0
    answer = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(head)
        for part in [preamble] + [filler] * (total // chunk):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(part)
        sock.settimeout(30)
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    assert answer, f"no answer after {sent} bytes"
    return int(answer.split(b" ", 2)[1]), sent


# ----------------------------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def signed_in_upload(browser, server):
    """Sign up in the browser with the CSP on, upload a logo on the dashboard; returns what was seen:
    console messages, the dashboard document's headers, the real upload request's headers and status."""
    console: list[str] = []
    seen: dict = {"console": console}
    with open_page(browser, server[0], results_folder("e2e", "http-hardening")) as page:
        page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
        email = sign_up(page)  # the welcome toast is a script the backend sends (needs 'unsafe-eval')
        expect(page.get_by_text("Welcome! You have 20 credits.")).to_be_visible(timeout=SLOW)
        document = page.goto("/dashboard")
        assert document is not None
        seen["document_headers"] = {k.lower(): v for k, v in document.all_headers().items()}
        expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
        with page.expect_response(lambda r: r.url.endswith("/_upload")) as upload:
            page.get_by_label("Logo").set_input_files(str(FIXTURES / "brand-logo.png"))
        expect(page.get_by_text("brand-logo.png")).to_be_visible(timeout=SLOW)
        page.shots("dashboard-with-csp")
        seen["upload_status"] = upload.value.status
        seen["upload_headers"] = {k.lower(): v for k, v in upload.value.request.all_headers().items()}
        seen["cookie"] = next(c["value"] for c in page.context.cookies() if c["name"] == "genpire_session")
        seen["email"] = email
        seen["js_errors"] = list(page.js_errors)
    return seen


# ------------------------------------------------------------------------------------------------- tests


def test_dashboard_renders_with_csp_and_no_violation(signed_in_upload):
    headers = signed_in_upload["document_headers"]
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'sha256-" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    assert "strict-transport-security" not in headers  # plain http on localhost
    violations = [m for m in signed_in_upload["console"] if "Content Security Policy" in m or "Refused to" in m]
    assert violations == [], violations
    assert signed_in_upload["js_errors"] == []
    assert signed_in_upload["upload_status"] in (200, 202)  # the real upload passed the guard


@pytest.mark.parametrize("path", ["/", "/login/", "/api/health", "/api/files/users/1/x.png?exp=1&sig=00"])
def test_security_headers_on_pages_api_and_files(server, path):
    status, headers, _ = request(server[0], "GET", path)
    assert status == (403 if path.startswith("/api/files") else 200)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (path, name, headers)
    assert "content-security-policy" in headers


def test_cors_and_websocket_only_for_our_origins(server):
    base = server[0]
    good = base  # http://127.0.0.1:<port>
    _, evil_headers, _ = request(base, "GET", "/api/health", {"Origin": EVIL})
    assert "access-control-allow-origin" not in evil_headers
    _, good_headers, _ = request(base, "GET", "/api/health", {"Origin": good})
    assert good_headers.get("access-control-allow-origin") == good
    preflight, pre_headers, _ = request(base, "OPTIONS", "/_upload", {
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "reflex-client-token"})
    assert preflight >= 400 and "access-control-allow-origin" not in pre_headers

    assert websocket_status(base, EVIL) == 403
    assert websocket_status(base, "null") == 403
    assert websocket_status(base, good) == 101


def test_api_docs_are_not_served(server):
    for path in ("/api/docs", "/api/openapi.json"):
        status, _, body = request(server[0], "GET", path)
        assert status == 404, path
        assert b"swagger" not in body.lower() and b'"openapi"' not in body


def test_upload_without_session_is_401(server, signed_in_upload):
    up = signed_in_upload["upload_headers"]
    status, headers, _ = request(server[0], "POST", "/_upload", {
        "Content-Type": "multipart/form-data; boundary=x", "Reflex-Client-Token": up["reflex-client-token"],
        "Reflex-Event-Handler": up["reflex-event-handler"]}, b"--x--\r\n")
    assert status == 401
    assert headers["x-frame-options"] == "DENY"


def test_300_mb_upload_is_refused_while_streaming_and_memory_stays_flat(server, signed_in_upload):
    base = server[0]
    up = signed_in_upload["upload_headers"]
    headers = {"Cookie": f"genpire_session={signed_in_upload['cookie']}", "Origin": base,
               "Reflex-Client-Token": up["reflex-client-token"], "Reflex-Event-Handler": up["reflex-event-handler"]}
    pids = server_pids(urlsplit(base).port)
    assert pids, "the server process was not found"

    declared, _, _ = request(base, "POST", "/_upload", {**headers, "Content-Length": str(300 * MIB),
                                                        "Content-Type": "multipart/form-data; boundary=x"})
    assert declared == 413  # refused from its Content-Length, before any body was sent

    started = time.perf_counter()
    with RssSampler(pids) as rss:
        status, sent = stream_upload(base, headers, 300 * MIB)
    elapsed = time.perf_counter() - started
    growth = rss.growth_mib()
    print(f"\n300 MB chunked upload: HTTP {status} after {sent / MIB:.1f} MiB sent in {elapsed:.2f} s; "
          + "; ".join(f"pid {p}: RSS {rss.start[p] / 1024:.1f} -> peak {rss.peak[p] / 1024:.1f} MiB "
                      f"(+{growth[p]:.1f})" for p in pids))
    assert status == 413
    assert sent < 100 * MIB  # the server answered long before the body ended
    assert max(growth.values()) < 20, growth


def largest_accepted_jpeg(path: Path) -> Path:
    """A 4096 x 4096 JPEG (the largest pixel count an upload may have) under the 2 MB logo limit."""
    from PIL import Image

    side = 4096
    red = Image.radial_gradient("L").resize((side, side))
    green = Image.linear_gradient("L").resize((side, side))
    Image.merge("RGB", (red, green, red.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).save(path, "JPEG", quality=90)
    assert path.stat().st_size < 2 * MIB
    return path


def test_six_concurrent_largest_uploads_keep_memory_bounded(browser, server, signed_in_upload, tmp_path):
    """Six tabs upload the largest accepted image at once through the real ``/_upload`` and its handler
    (validated, decoded reduced, re-encoded); the server's RSS grows by < 300 MB."""
    image = largest_accepted_jpeg(tmp_path / "largest.jpg")
    base = server[0]
    pids = server_pids(urlsplit(base).port)
    with open_page(browser, base, results_folder("e2e", "six-uploads")) as first:
        first.goto("/login")
        first.get_by_label("Email").fill(signed_in_upload["email"])
        first.get_by_label("Password").fill("a-long-password")
        first.get_by_role("button", name="Sign in").click()
        expect(balance(first)).to_be_visible(timeout=SLOW)
        tabs = [first] + [first.context.new_page() for _ in range(5)]
        for tab in tabs[1:]:
            tab.goto("/dashboard")
        for tab in tabs:
            expect(balance(tab)).to_have_text("20 credits", timeout=SLOW)
        started = time.perf_counter()
        with RssSampler(pids) as rss:
            for tab in tabs:  # each returns once the browser has the files: the six uploads overlap
                tab.get_by_label("Logo").set_input_files(str(image))
            for tab in tabs:
                expect(tab.get_by_text("largest.jpg")).to_be_visible(timeout=SLOW)
        elapsed = time.perf_counter() - started
        first.shots("largest-upload-accepted")
    growth = rss.growth_mib()
    print(f"\nsix concurrent 4096x4096 uploads ({image.stat().st_size / MIB:.2f} MiB each) accepted in {elapsed:.1f} s; "
          + "; ".join(f"pid {p}: RSS {rss.start[p] / 1024:.1f} -> peak {rss.peak[p] / 1024:.1f} MiB "
                      f"(+{growth[p]:.1f})" for p in pids))
    assert max(growth.values()) < 300, growth
