"""The saga example (python/examples/saga.py) end to end: a real redis-server,
`headway serve`, an `external` job created through the API, the example run
as its own process, and its records watched over SSE."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ServeProcess, SseStream

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "saga.py"
STAGES = ["loading", "clustering", "cpsat_solving", "ga_optimization", "rl_refinement"]


def run_example(redis_url: str, job_id: str, step_seconds: str, out_dir: Path):
    """Runs the example to its end; returns (exit status, stdout, stderr).
    Its output goes to files: a full pipe would block its on_write callback,
    and with it the Tracker's writes."""
    out, err = out_dir / "saga.out", out_dir / "saga.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        saga = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--redis", redis_url, "--job-id", job_id,
             "--step-seconds", step_seconds, "--print-records"],
            stdout=stdout, stderr=stderr, env=dict(os.environ))
    return saga, out, err


def finish(saga, out: Path, err: Path):
    saga.wait(timeout=300)
    return saga.returncode, out.read_text(), err.read_text()


def create_external_job(serve: ServeProcess) -> str:
    created = serve.request("POST", "/api/generation-jobs/generate/",
                            {"type": "external", "params": {"workload": "timetable"}})
    return created["id"]


def read_progress_until_done(stream: SseStream, stop_after_stage=None, on_stage=None):
    """The progress records up to `done`, checking the stream's ordering rules."""
    records, last_seq = [], 0
    while True:
        event = stream.next()
        assert event is not None, "the stream ended before `done`"
        if event["event"] == "done":
            return records, json.loads(event["data"])
        assert event["event"] == "progress", event
        record = json.loads(event["data"])
        assert int(event["id"]) == record["seq"]
        assert record["seq"] > last_seq
        last_seq = record["seq"]
        records.append(record)
        if on_stage and record["stage"] == stop_after_stage:
            on_stage()
            on_stage = None


def test_the_saga_completes_and_every_record_reaches_the_stream(serve: ServeProcess, redis, tmp_path):
    job_id = create_external_job(serve)
    stream = SseStream(serve, job_id)
    connected = stream.next()
    assert connected["event"] == "connected"
    assert json.loads(connected["data"])["job_id"] == job_id

    saga = run_example(redis.url, job_id, "0.002", tmp_path)
    records, done = read_progress_until_done(stream)
    status, out, err = finish(*saga)
    assert status == 0, err
    assert done["status"] == "completed"

    assert all(r["job_id"] == job_id for r in records)
    overall = [r["overall_progress"] for r in records]
    assert overall == sorted(overall)
    seen_stages = [s for i, s in enumerate(r["stage"] for r in records)
                   if s and (i == 0 or records[i - 1]["stage"] != s)]
    assert seen_stages == STAGES
    assert records[-1]["status"] == "completed"
    assert records[-1]["overall_progress"] == 100
    assert records[-1]["metadata"]["clusters"] == 216
    # The example printed each record Redis acknowledged; the last one is
    # exactly what Redis holds and what the stream sent last.
    printed = out.strip().splitlines()
    assert printed[-1] == redis.cli("GET", f"progress:job:{job_id}")
    assert json.loads(printed[-1]) == records[-1]
    seqs = [json.loads(line)["seq"] for line in printed]
    assert seqs == sorted(set(seqs))
    # The job table followed the stream.
    job = serve.request("GET", f"/api/generation-jobs/{job_id}/")
    assert job["status"] == "completed"
    stream.close()


def test_cancelling_through_the_api_stops_the_saga_between_clusters(serve: ServeProcess, redis, tmp_path):
    job_id = create_external_job(serve)
    stream = SseStream(serve, job_id)
    assert stream.next()["event"] == "connected"
    # Slow enough that the 216 clusters outlast the cancel request by far.
    saga = run_example(redis.url, job_id, "0.2", tmp_path)

    def cancel():
        serve.request("DELETE", f"/api/generation-jobs/{job_id}/cancel/")

    records, done = read_progress_until_done(stream, "cpsat_solving", cancel)
    status, out, err = finish(*saga)
    assert status == 0, err
    assert "cancelled" in err
    assert done["status"] == "cancelled"
    last = records[-1]
    assert last["status"] == "cancelled"
    assert last["stage"] == "cpsat_solving"
    assert last["metadata"]["completed_items"] < 216
    stream.close()
