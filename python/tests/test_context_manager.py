"""`with Tracker(...)`: completed on a clean exit, failed on an exception,
left alone when the body already ended the job; closed in every case."""

import pytest

from conftest import RedisServer
from headway import Tracker


def test_a_clean_exit_completes_the_job(redis: RedisServer, job_id):
    with Tracker(job_id, redis.url) as tracker:
        tracker.start_stage("loading")
        tracker.update_stage_progress(1, 2)
    assert tracker.closed
    record = redis.record(job_id)
    assert (record["status"], record["overall_progress"]) == ("completed", 100)


def test_an_exception_fails_the_job_with_its_text_and_propagates(redis: RedisServer, job_id):
    with pytest.raises(KeyError):
        with Tracker(job_id, redis.url) as tracker:
            tracker.start_stage("clustering")
            raise KeyError("room 12")
    assert tracker.closed
    record = redis.record(job_id)
    assert record["status"] == "failed"
    assert record["metadata"]["error"] == "KeyError: 'room 12'"
    assert record["stage"] == "clustering"


def test_a_job_the_body_ended_keeps_its_state(redis: RedisServer, job_id):
    with Tracker(job_id, redis.url) as tracker:
        tracker.start_stage("loading")
        tracker.mark_cancelled()
    assert redis.record(job_id)["status"] == "cancelled"

    other = job_id[:-1] + ("0" if job_id[-1] != "0" else "1")
    with pytest.raises(ValueError):
        with Tracker(other, redis.url) as tracker:
            tracker.mark_failed("bad input")
            raise ValueError("after the failure")
    assert redis.record(other)["metadata"]["error"] == "bad input"
