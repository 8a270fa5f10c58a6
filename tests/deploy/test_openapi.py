"""docs/openapi.json kept honest: the server serves it unchanged at
/api/openapi.json, it names exactly the routes the server's route table has,
and real answers of a running server (every path and method, success and
error answers) are validated against it with Debian's python3-jsonschema
(JSON Schema 2020-12, the dialect of OpenAPI 3.1). An answer whose status,
content type or body the document does not describe fails the test."""

import http.client
import json
import re
import socket
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import jsonschema
import pytest

from conftest import SOURCE_DIR, RedisServer, ServeProcess, WebSocket, eventually

DOCUMENT = json.loads((SOURCE_DIR / "docs" / "openapi.json").read_text())
UNKNOWN_JOB = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"
covered: Set[Tuple[str, str]] = set()


class Api:
    def __init__(self, directory: Path) -> None:
        self.redis = RedisServer(directory)
        web = directory / "web"
        (web / "assets").mkdir(parents=True)
        (web / "index.html").write_text("<!doctype html><div id=\"root\"></div>\n")
        (web / "assets" / "index-1a2b3c.js").write_text("export {};\n")
        self.serve = ServeProcess(self.redis, directory, ["--web-root", str(web)])
        self.port = self.serve.port

    def call(self, method: str, path: str, body: Optional[bytes] = None,
             headers: Optional[Dict[str, str]] = None,
             token: Optional[str] = "default") -> Tuple[int, Dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if token == "default":
            token = self.serve.token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        status = response.status
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        # A stream answers 200 and stays open: its headers are enough.
        data = b"" if answer_headers.get("content-type", "").startswith("text/event-stream") \
            else response.read()
        connection.close()
        return status, answer_headers, data

    def job(self) -> str:
        status, _, body = self.call("POST", "/api/generation-jobs/generate/",
                                    json.dumps({"type": "external", "params": {}}).encode())
        assert status == 201, body
        return json.loads(body)["id"]

    def finish(self, job_id: str, status: str) -> None:
        """A terminal record, as a Tracker writes it, folded by the recorder."""
        now = time.time()
        record = json.dumps({
            "job_id": job_id, "stage": "loading", "stage_progress": 100,
            "overall_progress": 100 if status == "completed" else 50, "status": status,
            "eta_seconds": 0, "started_at": now, "last_updated": now, "seq": 9, "attempt": 1,
            "stages": [{"name": "loading", "start": 0, "end": 100}], "metadata": {}})
        self.redis.cli("SET", f"progress:job:{job_id}", record)
        self.redis.cli("XADD", "progress:events", "*", "job_id", job_id, "record", record)

        def folded() -> bool:
            _, _, body = self.call("GET", f"/api/generation-jobs/{job_id}/")
            return json.loads(body)["status"] == status
        assert eventually(folded, 30)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    running = Api(tmp_path_factory.mktemp("openapi"))
    yield running
    running.serve.stop()
    running.redis.stop()


def resolve(node: dict) -> dict:
    while "$ref" in node:
        target: dict = DOCUMENT
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    resolver = jsonschema.RefResolver.from_schema(DOCUMENT)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def check(template: str, method: str, answer: Tuple[int, Dict[str, str], bytes]) -> None:
    """Validates one real answer against the document's description of it."""
    status, headers, body = answer
    operation = DOCUMENT["paths"][template][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, \
        f"{method} {template} answered {status}, which the document does not list: {body[:300]!r}"
    response = resolve(responses[str(status)])
    covered.add((template, method.lower()))
    content = response.get("content")
    if status == 101:
        return
    assert content, f"{method} {template} {status}: the document describes no body"
    media = headers.get("content-type", "").split(";")[0].strip()
    if media not in content:
        assert "*/*" in content, f"{method} {template} {status}: {media} is not documented"
        return
    if media == "application/json":
        value = json.loads(body)
        validator(content[media]["schema"]).validate(value)
    for name, header in response.get("headers", {}).items():
        if name.lower() != "set-cookie":
            assert name.lower() in headers, f"{method} {template} {status}: no {name} header"


def json_body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1")
    for schema in DOCUMENT["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    text = json.dumps(DOCUMENT)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        assert resolve({"$ref": ref}), ref
    for template, item in DOCUMENT["paths"].items():
        for name in re.findall(r"\{(\w+)\}", template):
            for operation in item.values():
                assert any(p["name"] == name and p["in"] == "path"
                           for p in operation.get("parameters", [])), (template, name)
        for method, operation in item.items():
            assert operation["responses"], (template, method)
            assert operation["operationId"]


def route_table() -> Set[Tuple[str, str]]:
    """(path, method) of every router.add() row in any source under src/server."""
    routes = set()
    for source in (SOURCE_DIR / "src" / "server").rglob("*.cpp"):
        text = source.read_text()
        for verb, pattern in re.findall(
                r"router\.add\(\s*\{?\s*(?:V|http::verb)::(\w+),\s*\"([^\"]+)\"", text):
            verb = verb.rstrip("_")
            path = pattern.replace("{*path}", "{path}")
            routes.add((path, "get" if verb == "head" else verb))
    return routes


def test_the_document_names_exactly_the_server_routes() -> None:
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    documented.discard(("/", "get"))  # the root of the static catch-all row
    assert route_table() == documented


def test_the_server_serves_the_document(api: Api) -> None:
    answer = api.call("GET", "/api/openapi.json", token=None)
    check("/api/openapi.json", "GET", answer)
    assert json.loads(answer[2]) == DOCUMENT


def test_operations_and_health(api: Api) -> None:
    check("/api/generation/health/", "GET", api.call("GET", "/api/generation/health/", token=None))
    check("/metrics", "GET", api.call("GET", "/metrics", token=None))


def test_the_job_api(api: Api) -> None:
    path = "/api/generation-jobs/generate/"
    check(path, "POST", api.call("POST", path, json_body({"type": "external", "params": {}})))
    check(path, "POST", api.call("POST", path, json_body({"type": "no-such-type"})))
    check(path, "POST", api.call("POST", path, b"{not json"))
    check(path, "POST", api.call("POST", path, json_body({"type": "external"}), token=None))
    check(path, "POST", api.call("POST", path, b"[" + b" " * (1 << 20) + b"]"))

    path = "/api/generation-jobs/"
    check(path, "GET", api.call("GET", path))
    check(path, "GET", api.call("GET", path + "?status=queued&limit=1&offset=0"))
    check(path, "GET", api.call("GET", path + "?limit=0"))
    check(path, "GET", api.call("GET", path, token=None))

    job_id = api.job()
    path = "/api/generation-jobs/{id}/"
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{job_id}/"))
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{UNKNOWN_JOB}/"))
    check(path, "GET", api.call("GET", "/api/generation-jobs/not-a-uuid/"))
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{job_id}/", token=None))

    path = "/api/generation-jobs/{id}/cancel/"
    check(path, "DELETE", api.call("DELETE", f"/api/generation-jobs/{job_id}/cancel/"))
    check(path, "DELETE", api.call("DELETE", f"/api/generation-jobs/{job_id}/cancel/"))
    done = api.job()
    api.finish(done, "completed")
    conflict = api.call("DELETE", f"/api/generation-jobs/{done}/cancel/")
    assert conflict[0] == 409
    check(path, "DELETE", conflict)
    check(path, "DELETE", api.call("DELETE", f"/api/generation-jobs/{UNKNOWN_JOB}/cancel/"))
    check(path, "DELETE", api.call("DELETE", "/api/generation-jobs/x/cancel/"))
    check(path, "DELETE", api.call("DELETE", f"/api/generation-jobs/{done}/cancel/", token=None))

    path = "/api/generation-jobs/{id}/stages/"
    timings = api.call("GET", f"/api/generation-jobs/{done}/stages/")
    assert [stage["stage"] for stage in json.loads(timings[2])["stages"]] == ["loading"], timings
    check(path, "GET", timings)
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{UNKNOWN_JOB}/stages/"))
    check(path, "GET", api.call("GET", "/api/generation-jobs/not-a-uuid/stages/"))
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{done}/stages/", token=None))

    path = "/api/generation-jobs/{id}/comparison/"
    comparison = api.call("GET", f"/api/generation-jobs/{done}/comparison/")
    assert json.loads(comparison[2])["this_run"]["stages"][0]["stage"] == "loading", comparison
    check(path, "GET", comparison)
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{UNKNOWN_JOB}/comparison/"))
    check(path, "GET", api.call("GET", "/api/generation-jobs/not-a-uuid/comparison/"))
    check(path, "GET", api.call("GET", f"/api/generation-jobs/{done}/comparison/", token=None))


def test_progress_and_streams(api: Api) -> None:
    job_id = api.job()
    api.finish(job_id, "failed")
    for template in ("/api/generation/progress/{id}/", "/api/generation/stream/{id}/"):
        for target, token in ((job_id, "default"), (UNKNOWN_JOB, "default"), ("bad", "default"),
                              (job_id, None)):
            path = template.replace("{id}", target)
            check(template, "GET", api.call("GET", path, token=token))
    template = "/api/generation/stream-token/{id}/"
    for target, token in ((job_id, "default"), (UNKNOWN_JOB, "default"), ("bad", "default"),
                          (job_id, None)):
        check(template, "POST", api.call("POST", template.replace("{id}", target), token=token))


def websocket(api: Api, job_id: str, headers: Dict[str, str]) -> WebSocket:
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=30)
    return WebSocket(sock, f"127.0.0.1:{api.port}", f"/api/generation/ws/{job_id}/", headers)


def test_the_websocket(api: Api) -> None:
    template = "/api/generation/ws/{id}/"
    bearer = {"Authorization": f"Bearer {api.serve.token}"}
    job_id = api.job()
    api.finish(job_id, "completed")
    ws = websocket(api, job_id, bearer)
    check(template, "GET", (ws.status, ws.headers, ws.body))
    message_schema = DOCUMENT["paths"][template]["get"]["responses"]["101"]["content"]
    for expected in ("connected", "progress", "done"):
        message = ws.message()
        validator(message_schema["application/json"]["schema"]).validate(message)
        assert message["event"] == expected
    ws.close()
    refused: List[Tuple[str, Dict[str, str]]] = [
        (UNKNOWN_JOB, bearer), ("bad", bearer), (job_id, {}),
        (job_id, {**bearer, "Origin": "https://elsewhere.example"}),
        (job_id, {**bearer, "Sec-WebSocket-Key": "short"})]
    for target, headers in refused:
        ws = websocket(api, target, headers)
        assert ws.status != 101
        check(template, "GET", (ws.status, ws.headers, ws.body))
        ws.sock.close()
    check(template, "GET", api.call("GET", f"/api/generation/ws/{job_id}/"))  # 426


def test_many_job_streams(api: Api) -> None:
    template = "/api/generation/streams/"
    job_id = api.job()
    api.finish(job_id, "completed")
    for query, token in ((f"?jobs={job_id},{UNKNOWN_JOB}", "default"), ("?jobs=bad", "default"),
                         ("", "default"), (f"?jobs={job_id}", None)):
        check(template, "GET", api.call("GET", template + query, token=token))
    template = "/api/generation/streams/ws/"
    bearer = {"Authorization": f"Bearer {api.serve.token}"}
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=30)
    ws = WebSocket(sock, f"127.0.0.1:{api.port}", f"{template}?jobs={job_id},{UNKNOWN_JOB}",
                   bearer)
    check(template, "GET", (ws.status, ws.headers, ws.body))
    message_schema = DOCUMENT["paths"][template]["get"]["responses"]["101"]["content"]
    for expected in ("connected", "not_found", "progress", "done"):
        message = ws.message()
        validator(message_schema["application/json"]["schema"]).validate(message)
        assert message["event"] == expected
    ws.close()
    check(template, "GET", api.call("GET", f"{template}?jobs={job_id}"))  # 426


def test_the_web_ui(api: Api) -> None:
    check("/", "GET", api.call("GET", "/", token=None))
    for path in ("/assets/index-1a2b3c.js", "/admin/timetables/status/x", "/assets/missing.js",
                 "/%2e%2e/etc/passwd", "/api/no-such-endpoint/"):
        check("/{path}", "GET", api.call("GET", path, token=None))


def test_accounts(api: Api) -> None:
    path = "/api/auth/login/"
    login = api.call("POST", path, json_body({"username": "tester", "password": "tester-password"}),
                     token=None)
    check(path, "POST", login)
    check(path, "POST", api.call("POST", path, json_body({"username": "tester"}), token=None))
    check(path, "POST", api.call("POST", path, b"username=tester",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 token=None))
    check(path, "POST", api.call("POST", path, json_body({"username": "tester", "password": "no"}),
                                 token=None))
    cookie = login[1]["set-cookie"].split(";")[0]
    csrf = json.loads(login[2])["csrf_token"]

    check("/api/auth/me/", "GET", api.call("GET", "/api/auth/me/"))
    check("/api/auth/me/", "GET", api.call("GET", "/api/auth/me/", headers={"Cookie": cookie},
                                           token=None))
    check("/api/auth/me/", "GET", api.call("GET", "/api/auth/me/", token=None))
    # A cookie-authenticated change without its CSRF token is refused.
    check("/api/generation-jobs/generate/", "POST",
          api.call("POST", "/api/generation-jobs/generate/", json_body({"type": "external"}),
                   headers={"Cookie": cookie}, token=None))
    check("/api/auth/logout/", "POST", api.call("POST", "/api/auth/logout/",
                                                headers={"Cookie": cookie}, token=None))
    check("/api/auth/logout/", "POST", api.call(
        "POST", "/api/auth/logout/", headers={"Cookie": cookie, "X-CSRF-Token": csrf}, token=None))


def test_zz_rate_limited_logins(api: Api) -> None:
    """Last: it uses up this client's failed-login allowance."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    answers = [api.call("POST", "/api/auth/login/",
                        json_body({"username": name, "password": "wrong"}), token=None)
               for _ in range(6)]
    assert answers[-1][0] == 429, [a[0] for a in answers]
    for answer in answers:
        check("/api/auth/login/", "POST", answer)


def test_zzz_every_documented_operation_was_exercised() -> None:
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert documented - covered == set()
