#!/usr/bin/env python3
"""Seeded generator of randomized job-progress traces for ETA cross-validation.

Writes traces in eta-bench's format (CSV ``t,progress,stage``, one row per
progress report, the last row the completion report at progress 100 whose t
is the job's true duration). Unlike a fixed set of shapes, every trace is
drawn at random from one of many *families*; each family is a kind of job
people wait for, with its own parameters drawn afresh per trace. The
cross-validation driver (crossval.py) holds out one family at a time, so a
constant that only fits some shapes shows up as a worse held-out figure.

Usage:
    bench/eta/gen_traces.py OUT_DIR                 # 24 traces per family, seed 1
    bench/eta/gen_traces.py OUT_DIR --per-family 40 --seed 7
    bench/eta/gen_traces.py OUT_DIR --add-family public=../shared/eta-bench/traces
    bench/eta/gen_traces.py --list                  # the families and what they model

File names are FAMILY_NNN.csv. The same seed gives byte-identical output on
every run of Python 3 (each trace has its own random.Random, seeded from the
seed, the family and the index). Standard library only.
"""
import argparse
import math
import os
import random
import sys

STAGE_NAMES = ["loading", "fetch", "clustering", "indexing", "solving", "training",
               "optimization", "refinement", "export", "upload", "verify", "compile"]


# ---------------------------------------------------------------------------
# A job is built as a list of events in relative time, then scaled to its
# duration and rendered to report rows:
#   ("work", seconds, percent, stage)   a step of work reported when it ends
#   ("stall", seconds)                  time passes without progress
#   ("back", percent, stage)            a restart: progress falls to `percent`
#   ("stage", name)                     a stage change, reported at once
# ---------------------------------------------------------------------------

class Job:
    def __init__(self):
        self.events = []

    def work(self, seconds, percent, stage):
        self.events.append(("work", max(seconds, 0.0), percent, stage))

    def stall(self, seconds):
        self.events.append(("stall", max(seconds, 0.0)))

    def duration(self):
        return sum(e[1] for e in self.events if e[0] in ("work", "stall"))


def stage_plan(rng, n_min=1, n_max=6):
    """Random stage weights (percent, summing to 100) and names."""
    n = rng.randint(n_min, n_max)
    raw = [rng.expovariate(1.0) + 0.15 for _ in range(n)]
    total = sum(raw)
    names = rng.sample(STAGE_NAMES, n)
    return [(names[i], 100.0 * raw[i] / total) for i in range(n)]


def stage_steps(rng, weight, steps_per_percent):
    return max(1, int(round(weight * steps_per_percent * rng.uniform(0.6, 1.6))))


def base_job(rng, plan, pace_sigma, noise_sigma, cost_profile=None, steps_per_percent=None):
    """Work steps for every stage. Each stage runs at its own pace (lognormal
    around 1 with pace_sigma); each step's cost has lognormal noise. A
    cost_profile(stage_index, x, rng) multiplies the cost of the step at
    relative position x in [0, 1) of its stage."""
    if steps_per_percent is None:
        steps_per_percent = math.exp(rng.uniform(math.log(0.5), math.log(12)))
    steps = []  # (cost, dp, stage)
    for index, (name, weight) in enumerate(plan):
        pace = math.exp(rng.gauss(0.0, pace_sigma))
        n = stage_steps(rng, weight, steps_per_percent)
        dp = weight / n
        for k in range(n):
            cost = pace * dp * math.exp(rng.gauss(0.0, noise_sigma))
            if cost_profile is not None:
                cost *= cost_profile(index, (k + 0.5) / n, rng)
            steps.append((cost, dp, name))
    return steps


def steps_to_job(steps):
    job = Job()
    p = 0.0
    stage = None
    for cost, dp, name in steps:
        if name != stage:
            job.events.append(("stage", name))
            stage = name
        p += dp
        job.work(cost, p, name)
    return job


# ---------------------------------------------------------------------------
# Families. Each takes a Random and returns (job, options) where options may
# set "duration" (seconds), "heartbeat" (seconds, or None) and "max_rows".
# ---------------------------------------------------------------------------

def duration_between(rng, low, high):
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def common_options(rng, low=60.0, high=7200.0):
    heartbeat = None
    if rng.random() < 0.25:
        heartbeat = "auto"
    return {"duration": duration_between(rng, low, high), "heartbeat": heartbeat}


def pick_stage(rng, plan):
    """A stage index, likelier the heavier it is."""
    total = sum(w for _, w in plan)
    x = rng.random() * total
    for i, (_, w) in enumerate(plan):
        x -= w
        if x <= 0:
            return i
    return len(plan) - 1


def fam_front_loaded(rng):
    """Inside one or two stages, the first steps cost far more than later ones
    (warm caches, shrinking search, a hard first batch): a factor of 4-40
    decaying over 5-30 % of the stage, or a step down after the first part."""
    plan = stage_plan(rng, 1, 5)
    chosen = {pick_stage(rng, plan) for _ in range(rng.randint(1, 2))}
    factor = duration_between(rng, 4, 40)
    scale = rng.uniform(0.05, 0.3)
    sudden = rng.random() < 0.4

    def profile(index, x, _rng):
        if index not in chosen:
            return 1.0
        if sudden:
            return factor if x < scale else 1.0
        return 1.0 + (factor - 1.0) * math.exp(-x / scale)

    return steps_to_job(base_job(rng, plan, 0.5, 0.3, profile)), common_options(rng)


def fam_back_loaded(rng):
    """Inside one or two stages, the last steps cost far more than the first
    (growing working sets, the hardest items left for last): factor 3-20."""
    plan = stage_plan(rng, 1, 5)
    chosen = {pick_stage(rng, plan) for _ in range(rng.randint(1, 2))}
    factor = duration_between(rng, 3, 20)
    scale = rng.uniform(0.1, 0.4)
    sudden = rng.random() < 0.4

    def profile(index, x, _rng):
        if index not in chosen:
            return 1.0
        if sudden:
            return factor if x > 1 - scale else 1.0
        return 1.0 + (factor - 1.0) * math.exp(-(1 - x) / scale)

    return steps_to_job(base_job(rng, plan, 0.5, 0.3, profile)), common_options(rng)


def fam_throttled(rng):
    """A rate limit: full speed until a quota is spent, then 2-8 times slower,
    and in some jobs windows of throttling that come and go."""
    plan = stage_plan(rng, 1, 4)
    steps = base_job(rng, plan, 0.3, 0.25)
    factor = duration_between(rng, 2, 8)
    out = []
    p = 0.0
    if rng.random() < 0.5:
        quota = rng.uniform(5, 40)
        for cost, dp, name in steps:
            p += dp
            out.append((cost * (factor if p > quota else 1.0), dp, name))
    else:
        windows = []
        q = rng.uniform(0, 30)
        while q < 100:
            length = rng.uniform(3, 20)
            windows.append((q, q + length))
            q += length + rng.uniform(5, 40)
        for cost, dp, name in steps:
            p += dp
            throttled = any(a <= p < b for a, b in windows)
            out.append((cost * (factor if throttled else 1.0), dp, name))
    return steps_to_job(out), common_options(rng)


def insert_stalls(job, rng, at_work_times, lengths):
    """Inserts stalls after the first step ending past each work time."""
    events = []
    t = 0.0
    pending = sorted(zip(at_work_times, lengths))
    for e in job.events:
        events.append(e)
        if e[0] == "work":
            t += e[1]
            while pending and pending[0][0] <= t:
                events.append(("stall", pending.pop(0)[1]))
    job.events = events
    return job


def fam_periodic_stalls(rng):
    """Every P seconds of work the job pauses for a fixed share of P (garbage
    collection, checkpoints, a batch window)."""
    plan = stage_plan(rng, 1, 4)
    job = steps_to_job(base_job(rng, plan, 0.4, 0.25))
    work = job.duration()
    count = rng.randint(3, 25)
    period = work / (count + 1)
    length = period * rng.uniform(0.1, 1.5)
    return insert_stalls(job, rng, [period * (k + 1) for k in range(count)],
                         [length] * count), common_options(rng)


def fam_random_stalls(rng):
    """Silent stalls at random moments, of random length (a lock, a slow
    disk, a network retry loop): 1-8 of them, together 10-60 % of the job."""
    plan = stage_plan(rng, 1, 5)
    job = steps_to_job(base_job(rng, plan, 0.4, 0.25))
    work = job.duration()
    count = rng.randint(1, 8)
    share = rng.uniform(0.1, 0.6)
    raw = [rng.expovariate(1.0) for _ in range(count)]
    lengths = [work * share / (1 - share) * r / sum(raw) for r in raw]
    times = [rng.uniform(0.02, 0.98) * work for _ in range(count)]
    return insert_stalls(job, rng, times, lengths), common_options(rng)


def fam_restarts(rng):
    """The job fails 1-3 times and resumes from its last checkpoint: progress
    falls back by 2-30 points after a gap of reloading, and the lost work is
    done again at the same pace."""
    plan = stage_plan(rng, 1, 5)
    steps = base_job(rng, plan, 0.4, 0.25)
    job = Job()
    crashes = sorted(rng.uniform(10, 95) for _ in range(rng.randint(1, 3)))
    p = 0.0
    stage = None
    history = []  # (p_after, stage, index) of every step done
    i = 0
    total_cost = sum(s[0] for s in steps)
    while i < len(steps):
        cost, dp, name = steps[i]
        if name != stage:
            job.events.append(("stage", name))
            stage = name
        p += dp
        job.work(cost, p, name)
        history.append((p, name, i))
        i += 1
        if crashes and p >= crashes[0]:
            crashes.pop(0)
            back = rng.uniform(2, 30)
            target = max(0.0, p - back)
            j = len(history) - 1
            while j > 0 and history[j][0] > target:
                j -= 1
            p_back, stage_back, index_back = history[j] if history[j][0] <= target else (0.0, steps[0][2], -1)
            job.stall(total_cost * rng.uniform(0.005, 0.05))
            job.events.append(("back", p_back, stage_back))
            p = p_back
            stage = stage_back
            i = index_back + 1
            del history[j + 1:]
            crashes = [c for c in crashes if c > p + 1]
    return job, common_options(rng)


def fam_stuck_end(rng):
    """Nearly done, then stuck: the last 0.5-5 % takes 15-60 % of the time, as
    one long final step (upload, finalization) or a slow crawl."""
    plan = stage_plan(rng, 1, 5)
    steps = base_job(rng, plan, 0.4, 0.25)
    tail_percent = rng.uniform(0.5, 5)
    share = rng.uniform(0.15, 0.6)
    body = [s for s in steps]
    cut = 100.0 - tail_percent
    p = 0.0
    head_cost = 0.0
    kept = []
    for cost, dp, name in body:
        if p + dp <= cut:
            kept.append((cost, dp, name))
            head_cost += cost
            p += dp
    tail_cost = head_cost * share / (1 - share)
    name = kept[-1][2] if kept else "finalize"
    rest = 100.0 - p
    if rng.random() < 0.5:
        kept.append((tail_cost, rest, name))
    else:
        n = rng.randint(3, 30)
        kept.extend((tail_cost / n * math.exp(rng.gauss(0, 0.3)), rest / n, name) for _ in range(n))
    return steps_to_job(kept), common_options(rng)


def fam_coarse(rng):
    """Very few reports: 3-30 progress reports over the whole job, at uneven
    steps, with stages of different pace."""
    plan = stage_plan(rng, 1, 4)
    steps = base_job(rng, plan, 0.5, 0.3, steps_per_percent=0.25)
    options = common_options(rng)
    options["heartbeat"] = None
    options["max_rows"] = rng.randint(3, 30)
    return steps_to_job(steps), options


def fam_short(rng):
    """Jobs of 1-30 s: timing noise is a large share of each step."""
    plan = stage_plan(rng, 1, 3)
    steps = base_job(rng, plan, 0.4, 0.5)
    options = common_options(rng, 1.0, 30.0)
    options["heartbeat"] = None
    return steps_to_job(steps), options


def fam_long(rng):
    """Jobs of 3-30 hours with slowly varying stages and the odd stall."""
    plan = stage_plan(rng, 2, 6)
    job = steps_to_job(base_job(rng, plan, 0.5, 0.3, steps_per_percent=rng.uniform(0.5, 4)))
    work = job.duration()
    count = rng.randint(0, 3)
    lengths = [work * rng.uniform(0.01, 0.08) for _ in range(count)]
    times = [rng.uniform(0.05, 0.95) * work for _ in range(count)]
    return insert_stalls(job, rng, times, lengths), common_options(rng, 3 * 3600.0, 30 * 3600.0)


def fam_heavy_tail(rng):
    """Step costs from a Pareto law (alpha 1.1-2.2): most steps are quick, a
    few take as long as hundreds of ordinary ones."""
    plan = stage_plan(rng, 1, 4)
    alpha = rng.uniform(1.1, 2.2)
    cap = 500.0

    def profile(_index, _x, r):
        return min(r.paretovariate(alpha), cap)

    return steps_to_job(base_job(rng, plan, 0.4, 0.0, profile)), common_options(rng)


def fam_drift(rng):
    """The rate drifts: a steady trend from one speed to another (a factor of
    1/5-5 over the job), or a random walk in the log of the rate."""
    plan = stage_plan(rng, 1, 4)
    steps = base_job(rng, plan, 0.3, 0.2)
    out = []
    p = 0.0
    if rng.random() < 0.5:
        end = math.log(duration_between(rng, 1 / 5, 5))
        for cost, dp, name in steps:
            p += dp
            out.append((cost * math.exp(end * p / 100.0), dp, name))
    else:
        level = 0.0
        sigma = rng.uniform(0.1, 0.35)  # per sqrt(percent)
        for cost, dp, name in steps:
            level += sigma * math.sqrt(dp) * rng.gauss(0, 1)
            out.append((cost * math.exp(level), dp, name))
    return steps_to_job(out), common_options(rng)


def fam_stages(rng):
    """Many stages whose paces differ by large factors (sigma 1.2 in log pace),
    the stage weights unrelated to their durations."""
    plan = stage_plan(rng, 3, 8 if len(STAGE_NAMES) >= 8 else len(STAGE_NAMES))
    return steps_to_job(base_job(rng, plan, 1.2, 0.3)), common_options(rng)


def fam_early_finish(rng):
    """The job converges before its plan says: at 40-90 % it jumps to 100."""
    plan = stage_plan(rng, 1, 4)
    steps = base_job(rng, plan, 0.4, 0.3)
    stop = rng.uniform(40, 90)
    kept = []
    p = 0.0
    for cost, dp, name in steps:
        if p + dp > stop:
            break
        kept.append((cost, dp, name))
        p += dp
    kept.append((kept[-1][0] if kept else 1.0, 100.0 - p, kept[-1][2] if kept else "solving"))
    return steps_to_job(kept), common_options(rng)


FAMILIES = {
    "front_loaded": fam_front_loaded,
    "back_loaded": fam_back_loaded,
    "throttled": fam_throttled,
    "periodic_stalls": fam_periodic_stalls,
    "random_stalls": fam_random_stalls,
    "restarts": fam_restarts,
    "stuck_end": fam_stuck_end,
    "coarse": fam_coarse,
    "short": fam_short,
    "long": fam_long,
    "heavy_tail": fam_heavy_tail,
    "drift": fam_drift,
    "stages": fam_stages,
    "early_finish": fam_early_finish,
}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

def render(job, options, rng):
    """Scales the job to its duration and returns rows (t, progress, stage)."""
    duration = options["duration"]
    scale = duration / job.duration()
    heartbeat = options.get("heartbeat")
    if heartbeat == "auto":
        # Between 50 and 1000 heartbeats over the job.
        heartbeat = duration / rng.uniform(50, 1000)
    first_stage = next(e[1] for e in job.events if e[0] == "stage")
    rows = [(0.0, 0.0, first_stage)]
    t = 0.0
    p = 0.0
    stage = first_stage

    def beats(seconds):
        if heartbeat:
            k = 1
            while k * heartbeat < seconds:
                rows.append((t + k * heartbeat, p, stage))
                k += 1

    for e in job.events:
        if e[0] == "stage":
            stage = e[1]
            if rows[-1] != (t, p, stage):
                rows.append((t, p, stage))
        elif e[0] == "work":
            seconds = e[1] * scale
            beats(seconds)
            t += seconds
            p = e[2]
            rows.append((t, p, e[3]))
        elif e[0] == "stall":
            seconds = e[1] * scale
            beats(seconds)
            t += seconds
        elif e[0] == "back":
            p, stage = e[1], e[2]
            rows.append((t, p, stage))
    max_rows = options.get("max_rows")
    if max_rows and len(rows) > max_rows:
        # Keep a random subset of reports (the first and the last always).
        middle = sorted(rng.sample(range(1, len(rows) - 1), max_rows - 2))
        rows = [rows[0]] + [rows[i] for i in middle] + [rows[-1]]
    return finish(rows)


def finish(rows):
    """Rounds as written, keeps t non-decreasing, ends at exactly 100."""
    out = []
    last_t = 0.0
    for t, p, stage in rows:
        t = max(round(t, 3), last_t)
        last_t = t
        out.append((t, min(100.0, max(0.0, round(p, 4))), stage))
    out[-1] = (out[-1][0], 100.0, out[-1][2])
    return out


def to_csv(rows):
    return "t,progress,stage\n" + "".join(f"{t:.3f},{p:.4f},{s}\n" for t, p, s in rows)


def trace_seed(seed, family, index):
    # A stable integer from the text, independent of Python's hash salt.
    text = f"{seed}/{family}/{index}"
    value = 0
    for ch in text.encode():
        value = (value * 131 + ch) % (1 << 61)
    return value


def scored_rows(rows):
    """Rows eta-bench scores: progress in [5, 95] before the end."""
    end = rows[-1][0]
    return sum(1 for t, p, _ in rows if 5 <= p <= 95 and t < end)


def generate(seed, family, index):
    rng = random.Random(trace_seed(seed, family, index))
    # A draw the bench could not score (a coarse job whose few reports all
    # fall outside 5-95 %) is drawn again from the same stream.
    while True:
        job, options = FAMILIES[family](rng)
        rows = render(job, options, rng)
        if scored_rows(rows) >= 3:
            return to_csv(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="folder to write FAMILY_NNN.csv into")
    ap.add_argument("--per-family", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated subset")
    ap.add_argument("--list", action="store_true", help="describe the families and exit")
    ap.add_argument("--add-family", action="append", default=[], metavar="NAME=DIR",
                    help="also copy DIR's traces, in name order, as family NAME (NAME_000.csv, ...)")
    args = ap.parse_args(argv)
    if args.list:
        for name, fn in FAMILIES.items():
            print(f"{name}: {' '.join(fn.__doc__.split())}")
        return 0
    if not args.out:
        ap.error("give an output folder (or --list)")
    os.makedirs(args.out, exist_ok=True)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    for family in families:
        if family not in FAMILIES:
            ap.error(f"unknown family {family}")
        for index in range(args.per_family):
            with open(os.path.join(args.out, f"{family}_{index:03d}.csv"), "w", newline="") as fh:
                fh.write(generate(args.seed, family, index))
    copied = 0
    for spec in args.add_family:
        name, _, folder = spec.partition("=")
        if not name or not folder or "_" in name:
            ap.error(f"--add-family wants NAME=DIR with no '_' in NAME, got {spec!r}")
        for index, src in enumerate(sorted(f for f in os.listdir(folder) if f.endswith(".csv"))):
            with open(os.path.join(folder, src), newline="") as fin, \
                    open(os.path.join(args.out, f"{name}_{index:03d}.csv"), "w", newline="") as fout:
                fout.write(fin.read())
            copied += 1
    print(f"{len(families) * args.per_family + copied} traces in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
