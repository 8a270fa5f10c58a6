"""headway behind nginx as deploy/nginx/headway.conf deploys it: TLS
terminated by nginx with a certificate made by the test, and through it the
web UI (gzip, cache headers), login, the REST API, SSE events arriving one by
one as they are published (never buffered until the end), the WebSocket, and
`headway watch https://...` with --cacert. Every read is bounded by a socket
timeout or a process timeout."""

import gzip
import http.client
import json
import os
import socket
import struct
import subprocess
from typing import IO, Dict, Optional, Tuple

from conftest import Stack, WebSocket, headway_bin

TIMEOUT_S = 20


def request(stack: Stack, method: str, path: str, body: Optional[dict] = None,
            headers: Optional[Dict[str, str]] = None,
            token: bool = True) -> Tuple[int, Dict[str, str], bytes]:
    connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port,
                                             context=stack.context, timeout=TIMEOUT_S)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {stack.serve.token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return answer


def new_job(stack: Stack) -> str:
    status, _, body = request(stack, "POST", "/api/generation-jobs/generate/",
                              {"type": "external", "params": {}})
    assert status == 201, body
    return json.loads(body)["id"]


def test_the_web_ui_is_gzipped_and_keeps_its_cache_headers(stack: Stack) -> None:
    gz = {"Accept-Encoding": "gzip"}
    status, headers, body = request(stack, "GET", "/", headers=gz, token=False)
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert b'<div id="root">' in gzip.decompress(body)

    status, headers, body = request(stack, "GET", "/assets/index-4f2a9c.js", headers=gz,
                                    token=False)
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert gzip.decompress(body).startswith(b"export const stages")

    status, _, body = request(stack, "GET", "/admin/timetables/status/x", token=False)
    assert status == 200 and b'<div id="root">' in body  # a client-side route


def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", stack.nginx.http_port,
                                            timeout=TIMEOUT_S)
    connection.request("GET", "/api/generation-jobs/")
    response = connection.getresponse()
    assert response.status == 301
    assert (response.getheader("Location") or "").startswith("https://")


def test_login_through_the_proxy_gives_a_secure_session_cookie(stack: Stack) -> None:
    status, headers, body = request(stack, "POST", "/api/auth/login/",
                                    {"username": "tester", "password": "tester-password"},
                                    token=False)
    assert status == 200, body
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie  # X-Forwarded-Proto reached the server
    session = cookie.split(";")[0]
    status, _, body = request(stack, "GET", "/api/auth/me/", headers={"Cookie": session},
                              token=False)
    assert status == 200
    assert json.loads(body)["user"] == "tester"


def test_rest_answers_pass_through(stack: Stack) -> None:
    job_id = new_job(stack)
    status, headers, body = request(stack, "GET", "/api/generation-jobs/?limit=1000",
                                    headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert headers["content-encoding"] == "gzip"  # a job is some 400 bytes of JSON
    listed = json.loads(gzip.decompress(body))
    assert job_id in [job["id"] for job in listed["results"]]
    status, _, body = request(stack, "GET", f"/api/generation-jobs/{job_id}/")
    assert status == 200 and json.loads(body)["status"] == "queued"
    status, _, _ = request(stack, "GET", "/api/generation/health/", token=False)
    assert status == 200
    status, headers, body = request(stack, "GET", "/api/generation-jobs/", token=False)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]


class SseStream:
    def __init__(self, stack: Stack, job_id: str) -> None:
        self.connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port,
                                                      context=stack.context, timeout=TIMEOUT_S)
        self.connection.request("GET", f"/api/generation/stream/{job_id}/", headers={
            "Authorization": f"Bearer {stack.serve.token}", "Accept": "text/event-stream",
            "Accept-Encoding": "gzip"})
        self.response = self.connection.getresponse()

    def next(self) -> Dict[str, str]:
        """The next event; a socket timeout (the test fails) if none comes."""
        event = {"event": "message", "id": "", "data": ""}
        while True:
            line = self.response.readline()
            assert line, "the stream ended early"
            text = line.decode().rstrip("\r\n")
            if text == "" and event["data"]:
                return event
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name in ("event", "id"):
                event[name] = value
            elif name == "data":
                event["data"] += value


def test_sse_events_arrive_one_by_one_as_they_are_published(stack: Stack) -> None:
    job_id = new_job(stack)
    stream = SseStream(stack, job_id)
    assert stream.response.status == 200
    assert (stream.response.getheader("Content-Type") or "").startswith("text/event-stream")
    assert stream.response.getheader("Content-Encoding") in (None, "identity")
    assert stream.next()["event"] == "connected"
    queued = stream.next()  # the record written when the job was created
    assert (queued["id"], json.loads(queued["data"])["status"]) == ("1", "queued")
    # Each record is written only after the previous one arrived: a proxy
    # that buffered the stream would make next() time out.
    for seq in range(2, 7):
        stack.write_record(job_id, seq, "running", seq * 10.0)
        event = stream.next()
        assert (event["event"], event["id"]) == ("progress", str(seq))
        assert json.loads(event["data"])["overall_progress"] == seq * 10.0
    stack.write_record(job_id, 7, "completed", 100.0)
    assert stream.next()["id"] == "7"
    done = stream.next()
    assert done["event"] == "done" and json.loads(done["data"])["status"] == "completed"
    stream.connection.close()


def test_the_websocket_passes_through(stack: Stack) -> None:
    job_id = new_job(stack)
    raw = socket.create_connection(("127.0.0.1", stack.https_port), timeout=TIMEOUT_S)
    ws = WebSocket(stack.context.wrap_socket(raw, server_hostname="127.0.0.1"),
                   f"127.0.0.1:{stack.https_port}", f"/api/generation/ws/{job_id}/",
                   {"Origin": stack.base_url, "Authorization": f"Bearer {stack.serve.token}"})
    assert ws.status == 101, ws.head
    assert ws.message()["event"] == "connected"
    assert ws.message()["data"]["status"] == "queued"
    stack.write_record(job_id, 2, "running", 50.0)
    first = ws.message()
    assert (first["event"], first["id"]) == ("progress", 2)
    stack.write_record(job_id, 3, "completed", 100.0)
    assert ws.message()["id"] == 3
    assert ws.message() == {"event": "done", "id": None, "data": {"status": "completed"}}
    opcode, payload = ws.frame()
    assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1000
    ws.close()


def cli(stack: Stack, *args: str, server: Optional[str] = None, cacert: bool = True,
        env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    command = [headway_bin(), *args, "--server", server or stack.base_url,
               "--token", stack.serve.token]
    if cacert:
        command += ["--cacert", str(stack.cert)]
    environment = {k: v for k, v in os.environ.items() if k != "HEADWAY_CACERT"}
    environment.update(env or {})
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)


def test_headway_watch_follows_a_job_live_over_https(stack: Stack) -> None:
    job_id = new_job(stack)
    watch = subprocess.Popen(
        [headway_bin(), "watch", job_id, "--json", "--server", stack.base_url, "--cacert",
         str(stack.cert), "--token", stack.serve.token],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watch.stdout is not None and watch.stderr is not None
    out: IO[str] = watch.stdout
    err: IO[str] = watch.stderr

    def line() -> dict:
        text = out.readline()
        assert text, err.read()
        return json.loads(text)
    try:
        assert line()["event"] == "connected"
        assert line()["data"]["status"] == "queued"
        stack.write_record(job_id, 2, "running", 30.0)
        progress = line()
        assert progress["event"] == "progress" and progress["data"]["seq"] == 2
        stack.write_record(job_id, 3, "completed", 100.0)
        assert line()["data"]["seq"] == 3
        assert line() == {"event": "done", "data": {"status": "completed"}}
        assert watch.wait(timeout=TIMEOUT_S) == 0
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()


def test_the_cli_speaks_https_with_a_trusted_ca(stack: Stack) -> None:
    submitted = cli(stack, "submit", "external", "--json")
    assert submitted.returncode == 0, submitted.stderr
    job_id = json.loads(submitted.stdout)["id"]
    listed = cli(stack, "jobs", "--json", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    assert job_id in [job["id"] for job in json.loads(listed.stdout)["results"]]
    # HEADWAY_CACERT stands for --cacert.
    by_env = cli(stack, "jobs", cacert=False, env={"HEADWAY_CACERT": str(stack.cert)})
    assert by_env.returncode == 0, by_env.stderr


def test_the_cli_refuses_an_untrusted_or_misnamed_certificate(stack: Stack) -> None:
    untrusted = cli(stack, "jobs", cacert=False)
    assert untrusted.returncode == 3
    assert "certificate verify failed" in untrusted.stderr
    assert "--cacert" in untrusted.stderr
    # The certificate names 127.0.0.1 only, not localhost.
    misnamed = cli(stack, "jobs", server=f"https://localhost:{stack.https_port}")
    assert misnamed.returncode == 3, misnamed.stderr
    assert "does not name localhost" in misnamed.stderr
