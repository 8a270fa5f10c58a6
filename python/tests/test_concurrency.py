"""Several Python threads on one Tracker, asyncio code, and a Redis killed
while the job runs: no call ever waits for Redis."""

import asyncio
import threading

from conftest import RedisServer, eventually
from headway import StagePlan, Tracker

ITEMS = 2000


def test_several_threads_update_one_tracker(redis: RedisServer, job_id):
    plan = StagePlan.from_weights({"solve": 100})
    tracker = Tracker(job_id, redis.url, plan)
    tracker.start_stage("solve")
    errors = []

    def worker(offset):
        try:
            for i in range(ITEMS):
                tracker.update_stage_progress(min(offset + i, ITEMS), ITEMS)
                tracker.cancel_requested()
            tracker.update(metadata={f"worker_{offset}": True})
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tracker.complete_stage()
    tracker.mark_completed()
    record = redis.record(job_id)
    assert record["status"] == "completed"
    assert {f"worker_{n * 100}" for n in range(4)} <= set(record["metadata"])
    assert tracker.stats().updates >= 4 * ITEMS
    tracker.close()


def test_asyncio_code_updates_inline_and_ends_through_a_thread(redis: RedisServer, job_id):
    async def job(tracker):
        tracker.start_stage("cpsat_solving")
        for cluster in range(216):
            await asyncio.sleep(0)
            tracker.update_stage_progress(cluster + 1, 216)
        tracker.complete_stage()
        # The terminal call waits for Redis; in a thread the loop keeps running.
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        await asyncio.to_thread(tracker.mark_completed)
        ticker.cancel()
        return ticks

    tracker = Tracker(job_id, redis.url)
    ticks = asyncio.run(job(tracker))
    assert ticks > 0
    assert redis.record(job_id)["status"] == "completed"
    tracker.close()


def test_calls_return_while_redis_is_dead_and_the_record_arrives_after_it_restarts(
        redis: RedisServer, job_id):
    tracker = Tracker(job_id, redis.url, terminal_timeout=120, connect_timeout=0.2,
                      command_timeout=0.5)
    tracker.start_stage("loading")
    tracker.flush(60)
    redis.kill()
    done = threading.Event()

    def job():
        tracker.complete_stage()
        tracker.start_stage("cpsat_solving")
        for cluster in range(216):
            tracker.update_stage_progress(cluster + 1, 216)
            tracker.cancel_requested()
        tracker.update(metadata={"solved": 216})
        done.set()

    runner = threading.Thread(target=job)
    runner.start()
    # Every call returned while Redis was down, and the flusher saw it fail.
    assert done.wait(120)
    assert eventually(lambda: tracker.stats().failed_writes > 0)
    assert redis.process.poll() is not None

    redis.start()
    tracker.mark_completed()
    runner.join()
    record = redis.record(job_id)
    assert record["status"] == "completed"
    assert record["metadata"]["solved"] == 216
    # Redis restarted empty, so the seq went on from the Tracker's own count.
    assert record["seq"] > 2
    tracker.close()
