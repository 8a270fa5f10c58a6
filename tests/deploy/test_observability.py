"""The Prometheus rules and the Grafana dashboard against a real server:
`promtool check rules` on the rules, `promtool check metrics` on a real
scrape, every metric the rules and the dashboard use present in that scrape,
and the gauges this deployment relies on (queue depth and age, job outcomes,
database health, process_*) showing what was done to the server."""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest
import yaml  # type: ignore[import]  # python3-yaml ships no stubs

from conftest import SOURCE_DIR, RedisServer, ServeProcess, eventually, processes

RULES = SOURCE_DIR / "deploy" / "prometheus" / "headway-alerts.yml"
DASHBOARD = SOURCE_DIR / "deploy" / "grafana" / "headway-dashboard.json"
# Series Prometheus itself adds to every scrape target.
PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "le", "inf", "nan"}


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is not installed (Debian package prometheus)"
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    directory = tmp_path_factory.mktemp("observability")
    redis = RedisServer(directory)
    serve = ServeProcess(redis, directory)
    serve.redis = redis
    yield serve
    serve.stop()
    redis.stop()


def scrape(serve: ServeProcess) -> str:
    with urllib.request.urlopen(serve.url("/metrics"), timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def samples(text: str) -> Dict[str, float]:
    """Every sample in exposition text: 'name{labels}' -> value."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


def names(text: str) -> Set[str]:
    return {re.split(r"[{ ]", series, 1)[0] for series in samples(text)}


def metric_names(expr: str) -> Set[str]:
    """The metric names a PromQL expression reads (a small tokenizer: label
    matchers, ranges, strings and groupings removed; function names and
    keywords dropped)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    found = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = match.group(0)
        following = expr[match.end():].lstrip()
        if following.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        found.add(word)
    return found


def rule_expressions() -> List[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> List[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            exprs.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", query))
    return exprs


def test_the_alert_rules_pass_promtool() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_the_scrape_configuration_passes_promtool(tmp_path: Path) -> None:
    # The rules as the configuration names them, in a directory of the test's.
    config = (RULES.parent / "prometheus.yml").read_text()
    assert "/etc/prometheus/headway-alerts.yml" in config
    (tmp_path / "headway-alerts.yml").write_text(RULES.read_text())
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/headway-alerts.yml", str(tmp_path / "headway-alerts.yml")))
    result = subprocess.run([promtool(), "check", "config", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_real_scrape_passes_promtool_check_metrics(server: ServeProcess) -> None:
    server.request("POST", "/api/generation-jobs/generate/", {"type": "external", "params": {}})
    text = scrape(server)
    result = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_the_rules_and_dashboard_use_is_exported(server: ServeProcess) -> None:
    # Labelled families appear once a label value was used: a request, a job.
    server.request("POST", "/api/generation-jobs/generate/", {"type": "external", "params": {}})
    urllib.request.urlopen(server.url("/api/generation/health/"), timeout=30).read()
    exported = names(scrape(server))
    rules = set().union(*map(metric_names, rule_expressions()))
    dashboard = set().union(*map(metric_names, dashboard_expressions()))
    assert len(rules) >= 15 and len(dashboard) >= 25, (rules, dashboard)
    assert rules - exported - PROMETHEUS_OWN == set()
    assert dashboard - exported - PROMETHEUS_OWN == set()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_process_metrics_describe_the_server(server: ServeProcess) -> None:
    before = cpu_seconds(server.process.pid)
    values = samples(scrape(server))
    after = cpu_seconds(server.process.pid)
    assert values["process_resident_memory_bytes"] > 1 << 20
    assert values["process_virtual_memory_bytes"] >= values["process_resident_memory_bytes"]
    assert 3 < values["process_open_fds"] <= values["process_max_fds"]
    assert time.time() - 3600 < values["process_start_time_seconds"] <= time.time() + 1
    assert before <= values["process_cpu_seconds_total"] <= after
    assert values["headway_db_up"] == 1 and values["headway_redis_up"] == 1


def test_queue_depth_and_age_follow_the_job_queue(server: ServeProcess) -> None:
    redis: RedisServer = server.redis
    redis.cli("DEL", "jobs:queue")
    before = samples(scrape(server))
    assert before["headway_queue_waiting_jobs"] == 0
    assert before["headway_queue_oldest_waiting_age_seconds"] == 0
    created = server.request("POST", "/api/generation-jobs/generate/",
                             {"type": "timetable", "params": {}})
    # No worker runs: the job waits. Its entry is at least as old as its id.
    after = samples(scrape(server))
    assert after["headway_queue_waiting_jobs"] == 1
    assert after["headway_queue_running_jobs"] == 0
    assert after["headway_queue_oldest_waiting_age_seconds"] >= 0
    assert after['headway_jobs_created_total{type="timetable"}'] >= 1
    # A worker of the group takes it (as `headway worker` does): it is
    # running, nothing waits.
    redis.cli("XGROUP", "CREATE", "jobs:queue", "workers", "0", "MKSTREAM")
    taken = redis.cli("XREADGROUP", "GROUP", "workers", "test-worker", "COUNT", "1", "STREAMS",
                      "jobs:queue", ">")
    assert created["id"] in taken
    held = samples(scrape(server))
    assert held["headway_queue_waiting_jobs"] == 0
    assert held["headway_queue_running_jobs"] == 1
    assert held["headway_queue_oldest_waiting_age_seconds"] == 0


def test_terminal_records_count_as_job_outcomes(server: ServeProcess) -> None:
    job = server.request("POST", "/api/generation-jobs/generate/",
                         {"type": "external", "params": {}})
    key = 'headway_jobs_finished_total{status="failed"}'
    before = samples(scrape(server))[key]
    record = {"job_id": job["id"], "stage": "loading", "stage_progress": 10,
              "overall_progress": 1, "status": "failed", "eta_seconds": None,
              "started_at": time.time(), "last_updated": time.time(), "seq": 5, "attempt": 1,
              "stages": [{"name": "loading", "start": 0, "end": 100}],
              "metadata": {"error": "boom"}}
    server.redis.cli("XADD", "progress:events", "*", "job_id", job["id"], "record",
                     json.dumps(record))
    assert eventually(lambda: samples(scrape(server))[key] == before + 1, 30), scrape(server)


def test_a_live_record_is_timed_through_the_fan_out(server: ServeProcess) -> None:
    job = server.request("POST", "/api/generation-jobs/generate/",
                         {"type": "external", "params": {}})
    count = "headway_fanout_latency_seconds_count"
    before = samples(scrape(server))[count]
    stream = processes.SseStream(server, job["id"])
    assert stream.next()["event"] == "connected"
    assert stream.next()["id"] == "1"  # the queued record, a snapshot: not timed
    record = {"job_id": job["id"], "stage": "loading", "stage_progress": 50,
              "overall_progress": 2.5, "status": "running", "eta_seconds": None,
              "started_at": time.time(), "last_updated": time.time(), "seq": 2, "attempt": 1,
              "stages": [{"name": "loading", "start": 0, "end": 100}], "metadata": {}}
    server.redis.cli("PUBLISH", f"progress:job:{job['id']}", json.dumps(record))
    assert stream.next()["id"] == "2"
    stream.close()
    after = samples(scrape(server))
    assert after[count] == before + 1
    assert 0 < after["headway_fanout_latency_seconds_sum"]
