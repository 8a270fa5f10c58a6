"""Real processes for the Python tests: redis-server and `headway serve` on
free loopback ports, each in its own temporary directory, stopped at the end.
A missing program is a failure, never a skip."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition: Callable[[], bool], limit_s: float = 60.0) -> bool:
    """Polls an observable condition, bounded so a broken test ends."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        redis = shutil.which("redis-server")
        assert redis, "redis-server is not installed"
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [redis, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT)
        assert eventually(lambda: self.ping()), "redis-server did not start"

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def ping(self) -> bool:
        try:
            return self.cli("PING") == "PONG"
        except (subprocess.CalledProcessError, OSError):
            return False

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            check=True, capture_output=True, text=True, timeout=30)
        if result.stdout.startswith("Could not connect"):
            raise OSError(result.stdout)
        return result.stdout.rstrip("\n")

    def record(self, job_id: str) -> Optional[dict]:
        text = self.cli("GET", f"progress:job:{job_id}")
        return json.loads(text) if text else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def job_id() -> str:
    return str(uuid.uuid4())


def headway_bin() -> str:
    path = os.environ.get("HEADWAY_BIN")
    assert path, "HEADWAY_BIN is not set (run through ctest)"
    return path


class ServeProcess:
    """`headway serve` with a private SQLite job table and an admin whose API
    token is `token` (password `tester-password`); `extra_args` go to serve."""

    def __init__(self, redis: RedisServer, directory: Path,
                 extra_args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.db_url = f"sqlite://{directory / 'jobs.db'}"
        subprocess.run([headway_bin(), "user", "add", "tester", "--admin", "--db", self.db_url],
                       input="tester-password\n", text=True, check=True, capture_output=True)
        created = subprocess.run([headway_bin(), "token", "create", "tester", "--db", self.db_url],
                                 text=True, check=True, capture_output=True)
        self.token = created.stdout.strip().splitlines()[-1]
        self.log_path = directory / "serve.log"
        self.process = subprocess.Popen(
            [headway_bin(), "serve", "--listen", f"127.0.0.1:{self.port}", "--redis", redis.url,
             "--db", self.db_url, "--threads", "2", *extra_args],
            stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        assert eventually(self.healthy), "headway serve did not start:\n" + self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/api/generation/health/"), timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method: str, path: str, body: Optional[dict] = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url(path), data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture
def serve(redis: RedisServer, tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(redis, tmp_path)
    yield server
    server.stop()


class SseStream:
    """An SSE client; every read is bounded by the socket timeout."""

    def __init__(self, serve: ServeProcess, job_id: str) -> None:
        request = urllib.request.Request(
            serve.url(f"/api/generation/stream/{job_id}/"),
            headers={"Authorization": f"Bearer {serve.token}", "Accept": "text/event-stream"})
        self.response = urllib.request.urlopen(request, timeout=60)
        assert self.response.status == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")

    def next(self) -> Optional[dict]:
        """The next event as {"event", "id", "data"}; None at the end."""
        event: dict = {"event": "message", "id": "", "data": ""}
        seen = False
        while True:
            line = self.response.readline()
            if not line:
                return None
            text = line.decode().rstrip("\r\n")
            if text == "":
                if seen:
                    return event
                continue
            if text.startswith(":"):
                continue
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name in ("event", "id"):
                event[name] = value
                seen = True
            elif name == "data":
                event["data"] += value
                seen = True

    def close(self) -> None:
        self.response.close()
