"""Report the progress of a long-running job to headway (see docs/python.md).

    from headway import Tracker

    with Tracker(job_id, "redis://127.0.0.1:6379") as tracker:
        tracker.start_stage("loading")
        tracker.update_stage_progress(1, 3)
"""

from ._headway import (
    EtaHistory,
    ManualClock,
    Stage,
    StagePlan,
    Tracker,
    TrackerError,
    TrackerStats,
    TrackerTimeoutError,
    __version__,
)

__all__ = [
    "EtaHistory",
    "ManualClock",
    "Stage",
    "StagePlan",
    "Tracker",
    "TrackerError",
    "TrackerStats",
    "TrackerTimeoutError",
    "__version__",
]
