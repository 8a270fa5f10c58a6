#!/usr/bin/env python3
"""The reference timetable saga reporting its progress with headway.

Five stages (loading, clustering, cpsat_solving, ga_optimization,
rl_refinement); the solving stage works through 216 clusters and checks for
cancellation after each one. The work itself is simulated with sleeps.

    PYTHONPATH=build/dev/python python3 python/examples/saga.py \\
        --redis redis://127.0.0.1:6379 --job-id "$(uuidgen)"
"""

import argparse
import sys
import time
import uuid

from headway import StagePlan, Tracker

CLUSTERS = 216
GENERATIONS = 40
EPISODES = 20


class Cancelled(Exception):
    pass


def work(seconds: float) -> None:
    time.sleep(seconds)


def run_saga(tracker: Tracker, step_s: float) -> None:
    tracker.start_stage("loading")
    for table in range(4):  # rooms, teachers, groups, constraints
        work(step_s)
        tracker.update_stage_progress(table + 1, 4)
    tracker.complete_stage()

    tracker.start_stage("clustering")
    work(step_s * 4)
    tracker.update(metadata={"clusters": CLUSTERS})
    tracker.complete_stage()

    tracker.start_stage("cpsat_solving")
    for cluster in range(CLUSTERS):
        work(step_s)
        tracker.update_stage_progress(cluster + 1, CLUSTERS)
        if tracker.cancel_requested():
            raise Cancelled()
    tracker.complete_stage()

    tracker.start_stage("ga_optimization")
    for generation in range(GENERATIONS):
        work(step_s)
        tracker.update_stage_progress(generation + 1, GENERATIONS)
        if tracker.cancel_requested():
            raise Cancelled()
    tracker.complete_stage()

    tracker.start_stage("rl_refinement")
    for episode in range(EPISODES):
        work(step_s)
        tracker.update_stage_progress(episode + 1, EPISODES)
    tracker.complete_stage()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--job-id", default=None, help="the job's UUID (default: a new one)")
    parser.add_argument("--step-seconds", type=float, default=0.05,
                        help="simulated work per cluster, generation or episode")
    parser.add_argument("--print-records", action="store_true",
                        help="print every record Redis acknowledged, one JSON a line")
    args = parser.parse_args()

    job_id = args.job_id or str(uuid.uuid4())
    on_write = (lambda record: print(record, flush=True)) if args.print_records else None
    # The context manager completes the job on a clean exit and fails it with
    # the exception's text otherwise; a cancelled job is already terminal.
    outcome = "completed"
    with Tracker(job_id, args.redis, StagePlan.reference(), on_write=on_write) as tracker:
        try:
            run_saga(tracker, args.step_seconds)
        except Cancelled:
            tracker.mark_cancelled()
            outcome = "cancelled"
    print(f"saga {job_id}: {outcome}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
