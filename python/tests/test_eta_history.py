"""EtaHistory, the ETA's prior from earlier runs of the same job: its two
constructors, their errors, and a Tracker that is given one, against a real
redis-server (docs/eta.md, "History")."""

import math

import pytest

from conftest import RedisServer
from headway import EtaHistory, ManualClock, StagePlan, Tracker

# Every earlier run of this job spends 40 s loading (the reference plan's
# first 5 %) and 60 s on the other 95 %: a live estimate made while loading
# cannot know that the later stages go twenty times faster; the runs can.
RUN = {"loading": 40.0, "clustering": 10.0, "cpsat_solving": 30.0,
       "ga_optimization": 10.0, "rl_refinement": 10.0}
LOADING_SHARE_OF_TIME = 0.4
LOADING_END_PERCENT = 5.0


def test_from_stage_durations_takes_dicts_or_pairs_and_matches_from_runs():
    plan = StagePlan.reference()
    history = EtaHistory.from_stage_durations(plan, [RUN, list(RUN.items()), RUN])
    assert history.runs == 3
    assert history.typical_duration == pytest.approx(100.0)
    assert len(history.log_elapsed) == len(history.log_remaining) == 101
    # At 2 % (two fifths of loading) the runs had taken 16 s and had 84 s left.
    assert math.exp(history.log_elapsed[2]) == pytest.approx(16.0)
    assert math.exp(history.log_remaining[2]) == pytest.approx(84.0)
    assert history.log_remaining_variance == pytest.approx(0.0, abs=1e-12)
    assert "runs=3" in repr(history)

    # The same runs as (elapsed, percent) reports: loading evenly to 5 % in
    # 40 s, then the rest evenly.
    reports = [(8.0 * p, float(p)) for p in range(0, 6)] + [
        (40.0 + 60.0 * (p - 5) / 95, float(p)) for p in range(6, 101)]
    from_reports = EtaHistory.from_runs([reports, reports])
    assert from_reports.runs == 2
    assert from_reports.log_elapsed[3] == pytest.approx(history.log_elapsed[3])
    assert from_reports.typical_duration == pytest.approx(100.0)


def test_runs_of_other_lengths_have_a_spread():
    history = EtaHistory.from_runs([[(0, 0), (50, 50), (100, 100)],
                                    [(0, 0), (100, 50), (200, 100)]])
    assert history.runs == 2
    assert history.typical_duration == pytest.approx(math.sqrt(100 * 200))
    assert history.log_remaining_variance == pytest.approx((math.log(2) / 2) ** 2)


@pytest.mark.parametrize("runs, message", [
    ([], "no runs"),
    ([[]], "run 1 has no reports"),
    ([[(0, 0), (10, 100)], [(0, 0), (-1, 50), (10, 100)]], "run 2, report 2: elapsed"),
    ([[(0, 0), (math.nan, 50), (10, 100)]], "elapsed must be a finite"),
    ([[(0, 0), (5, 50), (4, 60), (10, 100)]], "goes back in time"),
    ([[(0, 0), (5, 150)]], "percent must be in"),
    ([[(0, 0), (5, math.inf)]], "percent must be in"),
    ([[(0, 0), (5, 50)]], "never reaches 100"),
    ([[(0, 0), (0, 100)]], "never reaches 100"),
])
def test_from_runs_rejects_what_it_cannot_use(runs, message):
    with pytest.raises(ValueError, match=message):
        EtaHistory.from_runs(runs)


@pytest.mark.parametrize("runs", [[[(0, 0, 1)]], [["ab"]], ["not a run"], [[(0, "0")]]])
def test_from_runs_rejects_values_of_the_wrong_shape(runs):
    with pytest.raises(TypeError):
        EtaHistory.from_runs(runs)


@pytest.mark.parametrize("runs, message", [
    ([], "no runs"),
    ([{}], "run 1 has no stages"),
    ([RUN, {**RUN, "loading": -3.0}], "run 2, stage loading: its duration"),
    ([{**RUN, "cpsat_solving": math.nan}], "its duration must be a finite"),
    ([{"loading": 4.0, "fetching": 3.0}], "unknown stage 'fetching' \\(the plan has loading, "),
    ([{"loading": 4.0, "clustering": 3.0}], "never reaches the end of the plan"),
    ([{name: 0.0 for name in RUN}], "takes no time"),
])
def test_from_stage_durations_rejects_what_it_cannot_use(runs, message):
    with pytest.raises(ValueError, match=message):
        EtaHistory.from_stage_durations(StagePlan.reference(), runs)


def test_from_stage_durations_rejects_values_of_the_wrong_shape():
    with pytest.raises(TypeError):
        EtaHistory.from_stage_durations(StagePlan.reference(), ["loading"])
    with pytest.raises(TypeError):
        EtaHistory.from_stage_durations(StagePlan.reference(), [[("loading",)]])
    with pytest.raises(TypeError):
        EtaHistory.from_stage_durations(StagePlan.reference(), [{"loading": "40"}])


def eta_ratios_while_loading(redis: RedisServer, job_id: str, history):
    """Loads in 20 equal steps of 0.5 s on a manual clock, flushing after
    each; for every record that has an ETA, (overall percent, ETA / elapsed)."""
    ratios = []
    clock = ManualClock()
    with Tracker(job_id, redis.url, eta_history=history, clock=clock) as tracker:
        tracker.start_stage("loading")
        for step in range(1, 21):
            clock.advance(0.5)  # the work of one step
            tracker.update_stage_progress(step, 20)
            tracker.flush(60)
            record = redis.record(job_id)
            assert record is not None
            if record["eta_seconds"] is None:
                continue
            elapsed = record["last_updated"] - record["started_at"]
            ratios.append((record["overall_progress"], record["eta_seconds"] / elapsed))
    assert ratios, "no record carried an ETA"
    return ratios


def prior_ratio(percent: float) -> float:
    """Remaining over elapsed for the earlier runs at `percent` of loading."""
    elapsed_share = LOADING_SHARE_OF_TIME * percent / LOADING_END_PERCENT
    return (1 - elapsed_share) / elapsed_share


def own_ratio(percent: float) -> float:
    """Remaining over elapsed if the whole job went at loading's pace."""
    return (100 - percent) / percent


def closer_to_prior(percent: float, ratio: float) -> bool:
    return abs(math.log(ratio / prior_ratio(percent))) < abs(math.log(ratio / own_ratio(percent)))


def test_a_tracker_given_a_history_follows_it_from_its_first_eta(redis: RedisServer, job_id):
    history = EtaHistory.from_stage_durations(StagePlan.reference(), [RUN, RUN, RUN])
    ratios = eta_ratios_while_loading(redis, job_id, history)
    # Every ETA, the first one included, is nearer (by factor) the earlier
    # runs' than the run's own extrapolation, which is ten times and more
    # away from it.
    for percent, ratio in ratios:
        assert closer_to_prior(percent, ratio), (percent, ratio, prior_ratio(percent))


def test_without_a_history_the_eta_is_the_runs_own(redis: RedisServer, job_id):
    # The live estimate extrapolates loading's pace over the whole job: ten
    # times the earlier runs' remaining time and more.
    ratios = eta_ratios_while_loading(redis, job_id, None)
    for percent, ratio in ratios:
        assert not closer_to_prior(percent, ratio), (percent, ratio, own_ratio(percent))
