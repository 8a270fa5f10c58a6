"""The module's API against a real redis-server: what the calls write, what
they raise, and how construction errors surface."""

import threading

import pytest

from conftest import RedisServer, eventually
from headway import ManualClock, StagePlan, Tracker, TrackerError, TrackerTimeoutError


def test_reference_plan_and_weights():
    plan = StagePlan.reference()
    assert [s.name for s in plan.stages] == [
        "loading", "clustering", "cpsat_solving", "ga_optimization", "rl_refinement"]
    assert (plan.stages[2].start, plan.stages[2].end) == (15, 75)
    assert plan.index_of("cpsat_solving") == 2
    assert plan.index_of("nope") is None
    assert plan.overall_percent(2, 0.5) == 45
    assert len(StagePlan.from_weights({"fetch": 30, "build": 70})) == 2
    assert [s.end for s in StagePlan.from_weights([("a", 25), ("b", 75)]).stages] == [25, 100]


@pytest.mark.parametrize("weights", [{"a": 50, "b": 40}, [("a", 50), ("a", 50)], {"": 100},
                                     {"a": -10, "b": 110}])
def test_an_invalid_plan_is_a_value_error(weights):
    with pytest.raises(ValueError):
        StagePlan.from_weights(weights)


@pytest.mark.parametrize("args, options", [
    (("not-a-uuid",), {}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77", "http://nowhere"), {}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"eta_estimator": "no-such-estimator"}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"cancel_poll_interval": 2.0}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"cancel_poll_interval": 0}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"ttl": -1}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"max_writes_per_second": 0}),
    (("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77",), {"attempt": 0}),
])
def test_construction_errors_are_value_errors(args, options):
    with pytest.raises(ValueError):
        Tracker(*args, **options)


def test_updates_land_in_redis_with_the_plan_mapping_and_metadata(redis: RedisServer, job_id):
    records = []
    tracker = Tracker(job_id, redis.url, ttl=600, attempt=2, on_write=records.append)
    assert tracker.job_id == job_id
    tracker.start_stage("cpsat_solving")
    tracker.update_stage_progress(74, 216)
    tracker.update(metadata={"solver": "cp-sat", "workers": 8, "gap": 0.5, "warm": True,
                             "note": None})
    tracker.flush(60)
    record = redis.record(job_id)
    assert record["status"] == "running"
    assert record["stage"] == "cpsat_solving"
    assert record["stage_progress"] == pytest.approx(34.26)
    assert record["overall_progress"] == pytest.approx(35.56)
    assert record["attempt"] == 2
    assert record["metadata"] == {"completed_items": 74, "total_items": 216, "solver": "cp-sat",
                                  "workers": 8, "gap": 0.5, "warm": True, "note": None}
    assert 0 < int(redis.cli("TTL", f"progress:job:{job_id}")) <= 600
    tracker.mark_completed()
    final = redis.record(job_id)
    assert (final["status"], final["overall_progress"], final["eta_seconds"]) == (
        "completed", 100, 0)
    # on_write saw every acknowledged record, in order, the last one stored.
    assert eventually(lambda: records and '"completed"' in records[-1])
    seqs = [int(r.split('"seq":')[1].split(",")[0]) for r in records]
    assert seqs == sorted(set(seqs))
    assert tracker.terminal
    stats = tracker.stats()
    assert stats.writes >= 3 and stats.failed_writes == 0
    tracker.close()
    assert tracker.closed


def test_rejected_calls_raise_tracker_error_and_change_nothing(redis: RedisServer, job_id):
    tracker = Tracker(job_id, redis.url)
    with pytest.raises(TrackerError, match="call start_stage"):
        tracker.update_stage_progress(1, 2)
    with pytest.raises(TrackerError, match="unknown stage 'nope'"):
        tracker.start_stage("nope")
    tracker.start_stage("clustering")
    with pytest.raises(TrackerError, match="cannot go back"):
        tracker.start_stage("loading")
    with pytest.raises(TrackerError, match="total must be positive"):
        tracker.update_stage_progress(1, 0)
    tracker.complete_stage()
    with pytest.raises(TrackerError):
        tracker.complete_stage()
    with pytest.raises(TrackerError, match="set by the Tracker"):
        tracker.update(metadata={"error": "x"})
    with pytest.raises(TypeError, match="metadata"):
        tracker.update(metadata={"nested": [1, 2]})
    tracker.mark_failed("disk full")
    with pytest.raises(TrackerError):
        tracker.update_stage_progress(1, 2)
    with pytest.raises(TrackerError):
        tracker.mark_completed()
    record = redis.record(job_id)
    assert record["status"] == "failed"
    assert record["metadata"]["error"] == "disk full"
    assert record["stage"] == "clustering"
    tracker.close()
    with pytest.raises(TrackerError, match="closed"):
        tracker.start_stage("rl_refinement")


def test_a_terminal_call_redis_never_acknowledges_raises_a_timeout(job_id):
    # Nothing listens on the port: the write cannot be acknowledged.
    from conftest import free_port
    tracker = Tracker(job_id, f"redis://127.0.0.1:{free_port()}", terminal_timeout=0.1)
    with pytest.raises(TrackerTimeoutError, match="did not acknowledge"):
        tracker.mark_completed()
    assert isinstance(TrackerTimeoutError("x"), TrackerError)
    tracker.close()


def test_cancellation_set_as_the_server_sets_it_is_seen(redis: RedisServer, job_id):
    clock = ManualClock()
    tracker = Tracker(job_id, redis.url, cancel_poll_interval=0.05, clock=clock)
    tracker.start_stage("cpsat_solving")
    tracker.flush(60)
    assert not tracker.cancel_requested()
    redis.cli("SET", f"progress:cancel:{job_id}", "1", "EX", "7200")
    # The poll waits on the Tracker's clock: nothing is looked at before it
    # moves, and once it has the flusher looks before going back to sleep.
    assert clock.wait_until_parked()
    assert not tracker.cancel_requested()
    clock.advance(0.05)
    assert clock.wait_until_parked()
    assert tracker.cancel_requested()
    tracker.mark_cancelled()
    assert redis.record(job_id)["status"] == "cancelled"
    tracker.close()


def test_a_manual_clock_is_the_time_records_carry(redis: RedisServer, job_id):
    clock = ManualClock(1_800_000_000.0)
    with Tracker(job_id, redis.url, clock=clock) as tracker:
        tracker.start_stage("loading")
        clock.advance(12.5)
        tracker.update_stage_progress(1, 2)
        tracker.flush(60)
        record = redis.record(job_id)
        assert record["started_at"] == 1_800_000_000.0
        assert record["last_updated"] == 1_800_000_012.5
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(-1)
    assert repr(clock) == "ManualClock(1800000012.5)"


def test_the_gil_is_released_while_a_terminal_call_waits(redis: RedisServer, job_id):
    tracker = Tracker(job_id, redis.url, terminal_timeout=60)
    tracker.start_stage("loading")
    tracker.flush(60)
    updates_before = tracker.stats().updates
    redis.process.send_signal(__import__("signal").SIGSTOP)  # Redis answers nothing
    outcome = []

    def complete():
        try:
            tracker.mark_completed()
            outcome.append("ok")
        except TrackerError as error:
            outcome.append(str(error))

    waiter = threading.Thread(target=complete)
    waiter.start()
    try:
        # This thread runs Python while the other one waits inside
        # mark_completed (its update is counted before it waits): only
        # possible when that call released the GIL.
        assert eventually(lambda: tracker.stats().updates > updates_before)
        assert waiter.is_alive()
    finally:
        redis.process.send_signal(__import__("signal").SIGCONT)
    waiter.join(120)
    assert outcome == ["ok"]
    assert redis.record(job_id)["status"] == "completed"
    tracker.close()


def test_the_stubs_name_exactly_the_public_api():
    import ast
    from pathlib import Path

    import headway
    from headway import _headway

    stub = ast.parse((Path(_headway.__file__).parent / "_headway.pyi").read_text())
    for node in stub.body:
        if not isinstance(node, ast.ClassDef):
            continue
        runtime = getattr(_headway, node.name)
        stubbed = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
        public = {name for name in vars(runtime) if not name.startswith("_")}
        if issubclass(runtime, BaseException):
            continue
        assert public <= stubbed, (node.name, public - stubbed)
        assert {n for n in stubbed if not n.startswith("__")} <= public, node.name
        if "__enter__" in stubbed:
            assert hasattr(runtime, "__enter__") and hasattr(runtime, "__exit__")
    assert set(headway.__all__) <= {n.name for n in stub.body if isinstance(n, ast.ClassDef)} | {
        "__version__"}


def test_dropping_or_closing_a_tracker_writes_its_newest_state(redis: RedisServer, job_id):
    tracker = Tracker(job_id, redis.url, max_writes_per_second=0.001)
    tracker.start_stage("ga_optimization")
    tracker.update_stage_progress(7, 40)  # coalesced: not written yet at this rate
    del tracker  # the destructor flushes, with the GIL released
    record = redis.record(job_id)
    assert (record["stage"], record["metadata"]["completed_items"]) == ("ga_optimization", 7)

    other = job_id[:-1] + ("0" if job_id[-1] != "0" else "1")
    closing = Tracker(other, redis.url, max_writes_per_second=0.001)
    closing.start_stage("loading")
    closing.update_stage_progress(3, 4)
    closing.close()
    assert redis.record(other)["stage_progress"] == 75
