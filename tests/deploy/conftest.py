"""Real processes for the deployment tests: redis-server, `headway serve`
(the Python suite's launchers, python/tests/conftest.py), and nginx running
deploy/nginx/headway.conf unprivileged, with its own prefix, pid file and
temp dirs, on free loopback ports, with a certificate made by the test.
A missing program is a failure, never a skip."""

import base64
import hashlib
import importlib.util
import json
import os
import struct
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

SOURCE_DIR = Path(os.environ.get("HEADWAY_SOURCE_DIR", Path(__file__).resolve().parents[2]))

_spec = importlib.util.spec_from_file_location(
    "headway_test_processes", SOURCE_DIR / "python" / "tests" / "conftest.py")
assert _spec and _spec.loader
processes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(processes)
RedisServer = processes.RedisServer
ServeProcess = processes.ServeProcess
eventually = processes.eventually
free_port = processes.free_port
headway_bin = processes.headway_bin


def make_certificate(directory: Path, san: str) -> tuple:
    """A self-signed certificate (its own CA) for `san`, e.g. "IP:127.0.0.1"."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed"
    cert, key = directory / "server.pem", directory / "server.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=headway test", "-addext",
         f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def nginx_config(upstream_port: int, https_port: int, http_port: int, cert: Path,
                 key: Path) -> str:
    """deploy/nginx/headway.conf with only its ports and certificate paths
    replaced (and the IPv6 listeners dropped: the test binds loopback)."""
    text = (SOURCE_DIR / "deploy" / "nginx" / "headway.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/certs/headway.example.org.pem": str(cert),
        "/etc/ssl/private/headway.example.org.key": str(key),
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/nginx/headway.conf no longer has '{old}'"
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if "listen [::]" not in line]
    return "\n".join(lines) + "\n"


class NginxProcess:
    """Debian's nginx in the foreground, unprivileged (as the caller, or as
    `nobody` when the tests run as root), in a private prefix that holds its
    configuration, certificate, pid file, logs and temp dirs."""

    def __init__(self, upstream_port: int, cert: Path, key: Path) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(nginx).exists(), "nginx is not installed"
        self.directory = Path(tempfile.mkdtemp(prefix="headway-nginx-"))
        directory, temp = self.directory, self.directory / "temp"
        temp.mkdir()
        shutil.copy(cert, directory / "server.pem")
        shutil.copy(key, directory / "server.key")
        self.https_port, self.http_port = free_port(), free_port()
        (directory / "headway.conf").write_text(nginx_config(
            upstream_port, self.https_port, self.http_port, directory / "server.pem",
            directory / "server.key"))
        (directory / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/headway.conf;
}}
""")
        command: List[str] = [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf"),
                              "-e", str(directory / "error.log")]
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", str(directory)], check=True)
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=open(directory / "nginx.out", "ab"))

    def wait_listening(self, context: ssl.SSLContext) -> None:
        def answers() -> bool:
            assert self.process.poll() is None, "nginx exited:\n" + self.errors()
            try:
                raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=5)
                with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                    return True
            except OSError:
                return False
        assert eventually(answers, 30), "nginx did not start:\n" + self.errors()

    def errors(self) -> str:
        text = ""
        for name in ("nginx.out", "error.log"):
            path = self.directory / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


class Stack:
    """redis-server, `headway serve` (behind a proxy: --trust-proxy) with a
    small web root, and nginx in front with TLS on `https_port`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.redis = RedisServer(directory)
        web = directory / "web"
        (web / "assets").mkdir(parents=True)
        (web / "index.html").write_text(
            "<!doctype html><html><head><title>headway</title>"
            "<script type=\"module\" src=\"/assets/index-4f2a9c.js\"></script></head>"
            "<body><div id=\"root\"></div>" + "<!-- padding -->" * 40 + "</body></html>\n")
        (web / "assets" / "index-4f2a9c.js").write_text(
            "export const stages = " + json.dumps(["loading", "clustering"] * 100) + ";\n")
        self.serve = ServeProcess(self.redis, directory,
                                  ["--web-root", str(web), "--trust-proxy"])
        self.cert, key = make_certificate(directory, "IP:127.0.0.1")
        self.context = ssl.create_default_context(cafile=str(self.cert))
        self.nginx = NginxProcess(self.serve.port, self.cert, key)
        self.nginx.wait_listening(self.context)
        self.https_port = self.nginx.https_port

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def write_record(self, job_id: str, seq: int, status: str = "running",
                     overall: float = 0.0) -> None:
        """Writes a record the way the Tracker does: SET, then PUBLISH."""
        now = time.time()
        record = {
            "job_id": job_id, "stage": "cpsat_solving", "stage_progress": overall,
            "overall_progress": overall, "status": status,
            "eta_seconds": 0 if status == "completed" else None, "started_at": now - 10,
            "last_updated": now, "seq": seq, "attempt": 1,
            "stages": [{"name": "cpsat_solving", "start": 0, "end": 100}], "metadata": {}}
        text = json.dumps(record)
        self.redis.cli("SET", f"progress:job:{job_id}", text, "EX", "7200")
        self.redis.cli("PUBLISH", f"progress:job:{job_id}", text)

    def stop(self) -> None:
        self.nginx.stop()
        self.serve.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


class WebSocket:
    """A minimal RFC 6455 client on a connected socket (plain or TLS): the
    handshake, text frames in, a masked close frame out. `status` is the
    handshake's answer; for anything but 101, `body` holds its body."""

    def __init__(self, sock: socket.socket, host: str, path: str,
                 headers: Dict[str, str]) -> None:
        self.sock = sock
        key = base64.b64encode(os.urandom(16)).decode()
        fields = {"Host": host, "Upgrade": "websocket", "Connection": "Upgrade",
                  "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", **headers}
        lines = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\n{lines}\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        self.status = int(self.head.split(" ", 2)[1])
        self.headers = {}
        for line in self.head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.body = b""
        if self.status != 101:
            self.body = self.take(int(self.headers.get("content-length", "0")))
            return
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert self.headers.get("sec-websocket-accept") == accept, self.head

    def fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the connection closed"
        self.buffer += chunk

    def take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.fill()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self) -> Tuple[int, bytes]:
        """The next frame that is not a ping: (opcode, payload)."""
        while True:
            first, second = self.take(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self.take(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self.take(8))[0]
            payload = self.take(length)
            if first & 0x0F != 0x9:
                return first & 0x0F, payload

    def message(self) -> dict:
        opcode, payload = self.frame()
        assert opcode == 0x1, (opcode, payload)
        return json.loads(payload)

    def close(self) -> None:
        mask = os.urandom(4)
        payload = struct.pack("!H", 1000)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        try:
            self.sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + masked)
        except OSError:
            pass
        self.sock.close()
