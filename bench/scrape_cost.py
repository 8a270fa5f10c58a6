"""The cost of one Prometheus scrape of `headway serve`: 500 GET /metrics on
one keep-alive connection against a private redis-server and SQLite table,
with 20 jobs waiting in jobs:queue (so every scrape also reads the queue's
oldest entry). Prints the median and p99 answer times.

    HEADWAY_BIN=build/dev/src/cli/headway /usr/bin/python3 bench/scrape_cost.py
"""

import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "tests"))
from conftest import RedisServer, ServeProcess  # noqa: E402

SCRAPES = 500


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="headway-scrape-"))
    redis = RedisServer(directory)
    serve = ServeProcess(redis, directory)
    try:
        for _ in range(20):
            serve.request("POST", "/api/generation-jobs/generate/",
                          {"type": "timetable", "params": {}})
        connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=30)
        times = []
        body = b""
        for _ in range(SCRAPES):
            start = time.perf_counter()
            connection.request("GET", "/metrics")
            body = connection.getresponse().read()
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"{SCRAPES} scrapes of {len(body)} bytes: median "
              f"{statistics.median(times) * 1000:.2f} ms, p99 "
              f"{times[int(len(times) * 0.99)] * 1000:.2f} ms")
    finally:
        serve.stop()
        redis.stop()


if __name__ == "__main__":
    main()
