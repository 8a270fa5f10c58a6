from types import TracebackType
from typing import Callable, Iterable, Mapping, Optional, Sequence, Type, Union

__version__: str

MetadataValue = Union[None, bool, int, float, str]

class TrackerError(RuntimeError):
    """A call the Tracker rejected (unknown stage, going back a stage,
    completing a stage twice, a call after a terminal state or close())."""

class TrackerTimeoutError(TrackerError):
    """A terminal call or flush() that Redis did not acknowledge in time; the
    Tracker keeps retrying in the background."""

class Stage:
    @property
    def name(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...

class StagePlan:
    """The ordered stages of a job, each worth a share of 0-100 %. Immutable."""
    @staticmethod
    def reference() -> StagePlan: ...
    @staticmethod
    def from_weights(
        weights: Union[Mapping[str, float], Iterable[tuple[str, float]]]
    ) -> StagePlan:
        """Raises ValueError unless names are non-empty and unique and weights
        are positive and sum to 100."""
    @property
    def stages(self) -> list[Stage]: ...
    def __len__(self) -> int: ...
    def index_of(self, name: str) -> Optional[int]: ...
    def overall_percent(self, index: int, fraction: float) -> float: ...

class EtaHistory:
    """What earlier runs of the same job took: the ETA's prior for a new run
    (docs/eta.md, "History"). Immutable; pass it as Tracker(eta_history=...).

    Both constructors raise ValueError on a run they cannot use (no runs, a
    run with no reports or stages, a negative or non-finite time, time going
    back, a percent outside [0, 100], an unknown stage, a run that never
    reaches 100 % or the end of the plan) and TypeError on a value of the
    wrong shape."""
    @staticmethod
    def from_runs(runs: Sequence[Sequence[tuple[float, float]]]) -> EtaHistory:
        """Each run's reports, (elapsed seconds, overall percent) in order."""
    @staticmethod
    def from_stage_durations(
        plan: StagePlan,
        runs: Sequence[Union[Mapping[str, float], Sequence[tuple[str, float]]]],
    ) -> EtaHistory:
        """Each run's stage durations in seconds, in the order the stages ran;
        progress grows evenly through each stage of the plan."""
    @property
    def runs(self) -> int: ...
    @property
    def log_elapsed(self) -> list[float]:
        """Per whole percent 0-100, the mean log of the seconds a run took to
        reach it (index 100: the mean log duration)."""
    @property
    def log_remaining(self) -> list[float]:
        """Per whole percent 0-100, the mean log of the seconds then left."""
    @property
    def log_remaining_variance(self) -> float: ...
    @property
    def typical_duration(self) -> float:
        """The runs' geometric mean duration in seconds."""

class ManualClock:
    """A clock a test moves by hand: records carry its time, the ETA follows
    it, and so do the Tracker's timers (its write interval, cancel poll and
    retry backoff wait until advance() reaches them). Pass it as
    Tracker(clock=...)."""

    def __init__(self, start: float = 1700000000.0) -> None: ...
    def now(self) -> float:
        """Unix time in seconds, as the clock stands."""
    def advance(self, seconds: float) -> None:
        """Moves the clock on; raises ValueError for a negative or non-finite step."""
    def wait_until_parked(self, count: int = 1, timeout: float = 60.0) -> bool:
        """Waits until `count` Trackers' flushers sleep on this clock with
        nothing due; False if that took longer than `timeout` real seconds."""

class TrackerStats:
    @property
    def updates(self) -> int: ...
    @property
    def writes(self) -> int: ...
    @property
    def failed_writes(self) -> int: ...

class Tracker:
    """Reports one job's progress to Redis; safe to use from several threads.

    Updates return at once (a background thread writes to Redis). Rejected
    calls raise TrackerError; construction errors raise ValueError. Used as
    a context manager it completes the job on a clean exit and fails it on
    an exception, unless the body already ended it, then closes.
    """

    def __init__(
        self,
        job_id: str,
        redis_url: str = "redis://127.0.0.1:6379",
        plan: Optional[StagePlan] = None,
        *,
        ttl: float = 7200.0,
        max_writes_per_second: float = 10.0,
        terminal_timeout: float = 10.0,
        cancel_poll_interval: float = 0.5,
        attempt: int = 1,
        events_max_len: int = 100000,
        eta_estimator: str = "",
        eta_history: Optional[EtaHistory] = None,
        on_write: Optional[Callable[[str], object]] = None,
        connect_timeout: float = 1.0,
        command_timeout: float = 2.0,
        clock: Optional[ManualClock] = None,
    ) -> None: ...
    def start_stage(self, name: str) -> None: ...
    def update_stage_progress(self, completed: int, total: int) -> None: ...
    def complete_stage(self) -> None: ...
    def update(
        self,
        *,
        stage: Optional[str] = None,
        stage_progress: Optional[float] = None,
        overall_progress: Optional[float] = None,
        completed_items: Optional[int] = None,
        total_items: Optional[int] = None,
        metadata: Optional[dict[str, MetadataValue]] = None,
    ) -> None: ...
    def mark_completed(self) -> None:
        """Waits (GIL released) up to terminal_timeout for Redis."""
    def mark_failed(self, message: str) -> None: ...
    def mark_cancelled(self) -> None: ...
    def cancel_requested(self) -> bool: ...
    def flush(self, timeout: float) -> None: ...
    def stats(self) -> TrackerStats:
        """After close(), the counts as they were when close() began."""
    def close(self) -> None:
        """Flushes what is left (at most terminal_timeout) and stops the
        background thread; later calls raise TrackerError."""
    @property
    def job_id(self) -> str: ...
    @property
    def terminal(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Tracker: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...
