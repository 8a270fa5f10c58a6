#!/usr/bin/env python3
"""One Tracker.update_stage_progress call from Python, against a real
redis-server on loopback that the Tracker's flusher writes to meanwhile
(the Python counterpart of tracker_bench's BM_UpdateStageProgress).

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_tracker_bench.py

Prints the median and the spread over the repetitions, in nanoseconds per
call, with the cost of timeit's own loop (a `pass` statement) beside it.
"""

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import timeit
import uuid

from headway import Tracker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def per_call_ns(statement: str, namespace: dict, number: int, repeat: int) -> list[float]:
    times = timeit.repeat(statement, globals=namespace, number=number, repeat=repeat)
    return [t / number * 1e9 for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description="update_stage_progress from Python")
    parser.add_argument("--number", type=int, default=1_000_000, help="calls per repetition")
    parser.add_argument("--repeat", type=int, default=10, help="repetitions")
    args = parser.parse_args()

    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is not installed"
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        redis = subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.01)
            tracker = Tracker(str(uuid.uuid4()), f"redis://127.0.0.1:{port}")
            tracker.start_stage("cpsat_solving")
            namespace = {"update": tracker.update_stage_progress, "n": 74, "total": 216}
            calls = per_call_ns("update(n, total)", namespace, args.number, args.repeat)
            loop = per_call_ns("pass", namespace, args.number, args.repeat)
            tracker.mark_completed()
            stats = tracker.stats()
            tracker.close()
        finally:
            redis.terminate()
            redis.wait()
    print(f"update_stage_progress: median {statistics.median(calls):.1f} ns/call "
          f"(min {min(calls):.1f}, max {max(calls):.1f}; {args.repeat} x {args.number} calls)")
    print(f"timeit loop alone:     median {statistics.median(loop):.1f} ns")
    print(f"records written: {stats.writes}, failed writes: {stats.failed_writes}")


if __name__ == "__main__":
    main()
