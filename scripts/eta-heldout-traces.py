#!/usr/bin/env python3
"""Writes held-out trace sets for eta-bench, for checking that an ETA change
generalises beyond the 18 public traces.

  eta-heldout-traces.py OUT OFFSET...        the bench's 18 shapes with seed x 13 + OFFSET,
                                             one folder OUT/OFFSET per offset
  eta-heldout-traces.py --restarts SRC OUT   SRC's traces, each resuming once from a checkpoint

A restart variant cuts a trace at a row between 30 % and 80 % progress, falls
back 5-25 % to the last row at or below that checkpoint, pays a gap of up to 3 %
of the duration, then replays the original rows from the checkpoint on with the
same step times. The eta-bench generator has no such shape, and the bench says
progress may go down. Draws are seeded by the file name, so output is stable.

The bench folder is HEADWAY_ETA_BENCH (default: the project's ../shared/eta-bench).
Score a folder with `scripts/eta-bench.sh FOLDER`.
"""
import csv
import os
import random
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_seeds(out, offsets):
    bench = os.environ.get("HEADWAY_ETA_BENCH", os.path.join(REPO, "..", "shared", "eta-bench"))
    sys.path.insert(0, bench)
    import gen_traces

    for offset in offsets:
        traces = [(name, seed * 13 + offset, shape) for name, seed, shape in gen_traces.TRACES]
        gen_traces.write_all(os.path.join(out, str(offset)), traces, quiet=True)


def write_restarts(src, out):
    os.makedirs(out, exist_ok=True)
    for name in sorted(f for f in os.listdir(src) if f.endswith(".csv")):
        with open(os.path.join(src, name), newline="") as fh:
            rows = [(float(r["t"]), float(r["progress"]), r["stage"]) for r in csv.DictReader(fh)]
        rng = random.Random(name)
        cut_share, drop = rng.uniform(0.3, 0.8), rng.uniform(5, 25)
        cut = next(k for k, row in enumerate(rows) if row[1] >= 100 * cut_share)
        if cut >= len(rows) - 2:
            cut = len(rows) // 2
        resume = max(k for k in range(cut) if rows[k][1] <= rows[cut][1] - drop)
        if rows[resume][1] >= rows[cut][1]:
            continue
        t_restart = rows[cut][0] + rng.uniform(0.0, 0.03) * rows[-1][0]
        shift = t_restart - rows[resume][0]
        out_rows = rows[: cut + 1] + [(t_restart, rows[resume][1], rows[resume][2])]
        out_rows += [(t + shift, p, stage) for t, p, stage in rows[resume + 1 :]]
        with open(os.path.join(out, name), "w") as fh:
            fh.write("t,progress,stage\n")
            fh.writelines(f"{t:.3f},{p:.4f},{stage}\n" for t, p, stage in out_rows)


def main(argv):
    if len(argv) == 3 and argv[0] == "--restarts":
        write_restarts(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] != "--restarts":
        write_seeds(argv[0], [int(x) for x in argv[1:]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
