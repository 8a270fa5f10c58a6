#!/usr/bin/env python3
"""Scores the ETA with earlier runs of the same job as its prior.

For every trace in a folder (e.g. one written by gen_traces.py), makes K
earlier runs of the same job and replays the trace four ways through
`headway eta-replay`: without history; with K runs that resemble it (every
time step scaled by its own lognormal factor, sigma 0.15, and each run by a
global factor, sigma 0.1: the same job on the same machine); and with K runs
that do not (the same, but each earlier run 2.5 times faster: a new run on a
slower machine or a bigger input); and with K runs of another job of the same
family (the next trace), which describe this one not at all. A fifth way
gives the resembling runs as only their stage durations, which is all the
job table keeps and what the worker builds its prior from: each stage's
progress growing evenly from where it started to where the next began, as
EtaHistory::from_stage_durations does. Scores with eta-bench's score.py and
prints the mean error per family and overall.

Usage:
    bench/eta/history_bench.py --traces DIR --headway build/dev/src/cli/headway \\
        --eta-bench ../shared/eta-bench [--runs 3] [--seed 1]

Standard library only, besides eta-bench's score.py. Seeded: the same
arguments give the same figures.
"""
import argparse
import math
import os
import random
import subprocess
import sys
import tempfile


def read_rows(path):
    with open(path) as fh:
        header = fh.readline()
        return header, [line.rstrip("\n").split(",") for line in fh if line.strip()]


def earlier_run(rows, rng, speed):
    """The same reports with each time step rescaled; the progress unchanged."""
    out = []
    t = 0.0
    previous = 0.0
    for row in rows:
        step = float(row[0]) - previous
        previous = float(row[0])
        t += step * speed * math.exp(rng.gauss(0.0, 0.15))
        out.append(f"{t:.3f},{row[1]},{row[2]}")
    return "t,progress,stage\n" + "\n".join(out) + "\n"


def stage_durations_only(run_text):
    """The run as its stage durations alone: a report at each stage start and
    at every whole percent in between, as if each stage went at an even pace."""
    rows = [line.split(",") for line in run_text.splitlines()[1:] if line.strip()]
    rows = [(float(t), float(p), stage) for t, p, stage in rows]
    starts = []
    for t, p, stage in rows:
        if not starts or starts[-1][2] != stage:
            starts.append((t, p, stage))
    end_t = rows[-1][0]
    bounds = starts + [(end_t, 100.0, rows[-1][2])]
    out = []
    for (t0, p0, stage), (t1, p1, _) in zip(bounds, bounds[1:]):
        out.append((t0, p0, stage))
        k = math.floor(p0) + 1
        while k < p1:
            out.append((t0 + (t1 - t0) * (k - p0) / (p1 - p0), float(k), stage))
            k += 1
    out.append((end_t, 100.0, rows[-1][2]))
    return "t,progress,stage\n" + "\n".join(f"{t:.3f},{p:g},{stage}" for t, p, stage in out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--headway", required=True)
    ap.add_argument("--eta-bench", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.eta_bench))
    import score  # noqa: E402

    names = sorted(f for f in os.listdir(args.traces) if f.endswith(".csv"))
    work = tempfile.mkdtemp(prefix="eta-history-")
    results = {"none": {}, "resemble": {}, "differ": {}, "other": {}, "stages": {}}
    for index, name in enumerate(names):
        path = os.path.join(args.traces, name)
        _, rows = read_rows(path)
        # Another job of the same family (the next trace), for runs that do
        # not describe this one at all.
        neighbour = names[index + 1] if index + 1 < len(names) and \
            names[index + 1].rsplit("_", 1)[0] == name.rsplit("_", 1)[0] else names[index - 1]
        _, other_rows = read_rows(os.path.join(args.traces, neighbour))
        for case in results:
            out = os.path.join(work, case)
            os.makedirs(out, exist_ok=True)
            cmd = [args.headway, "eta-replay", "--out-dir", out]
            if case != "none":
                rng = random.Random(args.seed * 1000003 + index)
                for r in range(args.runs):
                    speed = math.exp(rng.gauss(0.0, 0.1)) / (2.5 if case == "differ" else 1.0)
                    run = os.path.join(work, f"run-{case}-{r}.csv")
                    text = earlier_run(other_rows if case == "other" else rows, rng, speed)
                    with open(run, "w") as fh:
                        fh.write(stage_durations_only(text) if case == "stages" else text)
                    cmd += ["--history", run]
            subprocess.run(cmd + [path], check=True)
            results[case][name[:-4]] = score.score_files(path, os.path.join(out, name))

    families = sorted({n.rsplit("_", 1)[0] for n in results["none"]})
    print(f"{len(names)} traces, {args.runs} earlier runs each\n")
    print("| family | no history | runs that resemble it | runs 2.5x faster | runs of another job "
          "| resembling runs as stage durations |")
    print("|---|---:|---:|---:|---:|---:|")
    for family in families + ["all"]:
        cells = []
        for case in results:
            vals = [r["mean"] for n, r in results[case].items() if family == "all" or n.rsplit("_", 1)[0] == family]
            cells.append(sum(vals) / len(vals))
        label = "**all (mean over traces)**" if family == "all" else family
        print(f"| {label} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
