import { useEffect, useState } from 'react';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { ProgressBar } from '../components/ProgressBar';
import { StatusBadge } from '../components/StatusBadge';
import { useJobList } from '@headway/react/hooks/useJobList';
import { useProgress } from '@headway/react/hooks/useProgress';
import { useSmoothedETA } from '@headway/react/hooks/useSmoothedETA';
import { useSmoothedEtaRange } from '@headway/react/hooks/useSmoothedEtaRange';
import { describeError, type Job } from '@headway/react/lib/api';
import { routes } from '@headway/react/lib/router';
import { currentStepLabel } from '@headway/react/lib/stages';
import { statusLabel } from '@headway/react/lib/stages';
import { formatDuration, formatRelative, shortId } from '@headway/react/lib/time';
import { isTerminal, JOB_STATUSES, type JobStatus } from '@headway/react/lib/types';

export const JOB_PAGE_SIZE = 20;

/** How long a finished job ran, e.g. "took 1m 20s"; null for a job that has not finished. */
export function finishedDuration(job: Job): string | null {
  if (!isTerminal(job.status) || job.finished_at === null || job.started_at === null) return null;
  return `took ${formatDuration(job.finished_at - job.started_at)}`;
}

/**
 * Running rows that stream live, all on one shared connection (a page of
 * them fits the server's 50 jobs per connection); any others follow the 3 s poll.
 */
const LIVE_ROWS = JOB_PAGE_SIZE;

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function JobRow({ job, live, now }: { job: Job; live: boolean; now: number }) {
  // Every running row shares one connection: a page of running jobs would
  // otherwise need more connections than a browser grants one server.
  const stream = useProgress(live ? job.id : null, { multiplexed: true });
  const record = stream.progress;
  // A live record wins over the row while it is newer (the table lags the stream).
  const useRecord = record !== null && !isTerminal(job.status);
  const status = useRecord ? record.status : job.status;
  const stage = useRecord ? record.stage : job.stage;
  const percent = useRecord ? record.overall_progress : job.status === 'completed' ? 100 : job.overall_progress;
  const running = useRecord && (status === 'running' || status === 'initializing');
  const liveEta = running ? record.eta_seconds : null;
  const eta = useSmoothedETA(liveEta);
  const etaRange = useSmoothedEtaRange(liveEta, running ? record.eta_low_seconds : null, running ? record.eta_high_seconds : null);
  const href = routes.status(job.id);
  const title = job.type === 'timetable' || job.type === '' ? 'Timetable' : job.type.charAt(0).toUpperCase() + job.type.slice(1);
  return (
    <li className="job-row" data-job-id={job.id} data-status={status}>
      <div className="job-row__main">
        <Link href={href} className="job-row__title">
          {title} <span className="job-row__id">{shortId(job.id)}</span>
        </Link>
        <span className="job-row__time">
          {formatRelative(job.created_at, now)}
          {finishedDuration(job) ? <span className="job-row__duration"> · {finishedDuration(job)}</span> : null}
        </span>
      </div>
      <div className="job-row__progress">
        <ProgressBar value={percent} size="small" label={`Progress of job ${shortId(job.id)}`} />
        <span className="job-row__percent">{Math.floor(percent)}%</span>
      </div>
      <div className="job-row__status">
        <StatusBadge status={status} />
        <span className="job-row__stage">
          {status === 'failed' && job.error ? job.error : isTerminal(status) ? '' : currentStepLabel(status, stage)}
        </span>
        {liveEta !== null ? (
          <span className="job-row__eta" data-testid="job-eta">
            {eta} left{etaRange ? ` (${etaRange})` : ''}
          </span>
        ) : null}
      </div>
    </li>
  );
}

export function JobListPage() {
  const [filter, setFilter] = useState<JobStatus | null>(null);
  const [offset, setOffset] = useState(0);
  const { list, error, loading } = useJobList(undefined, { status: filter, limit: JOB_PAGE_SIZE, offset });
  const choose = (status: JobStatus | null) => {
    setFilter(status);
    setOffset(0);
  };
  const first = offset + 1;
  const last = offset + (list?.results.length ?? 0);
  const now = useNow(15_000);
  let liveBudget = LIVE_ROWS;
  return (
    <Layout active="jobs">
      <div className="page-head">
        <div>
          <h1>Timetable jobs</h1>
          <p className="muted">Newest first. Running jobs update live.</p>
        </div>
        <Link href={routes.generate()} className="button button--primary">
          Generate Timetable
        </Link>
      </div>
      <div className="filters" role="group" aria-label="Show jobs by status">
        {[null, ...JOB_STATUSES].map((status) => (
          <button
            key={status ?? 'all'}
            type="button"
            className="button button--small"
            aria-pressed={filter === status}
            onClick={() => choose(status)}
          >
            {status === null ? 'All' : statusLabel(status)}
          </button>
        ))}
      </div>
      {error && list ? (
        <p className="notice notice--warn" role="status">
          Could not refresh the list: {describeError(error)}
        </p>
      ) : null}
      {loading && !list ? <p className="muted">Loading jobs…</p> : null}
      {error && !list ? (
        <div className="card empty">
          <h2>The job list could not be loaded</h2>
          <p className="muted">{describeError(error)}</p>
        </div>
      ) : null}
      {list && list.results.length === 0 && (filter !== null || offset > 0) ? (
        <div className="card empty">
          <h2>No {filter ? statusLabel(filter).toLowerCase() : ''} jobs here</h2>
          <button type="button" className="button" onClick={() => choose(null)}>
            Show all jobs
          </button>
        </div>
      ) : null}
      {list && list.results.length === 0 && filter === null && offset === 0 ? (
        <div className="card empty">
          <h2>No jobs yet</h2>
          <p className="muted">Generate a timetable and follow it here while it runs.</p>
          <Link href={routes.generate()} className="button button--primary">
            Generate Timetable
          </Link>
        </div>
      ) : null}
      {list && list.results.length > 0 ? (
        <ul className="card job-list" aria-label="Jobs">
          {list.results.map((job) => {
            const live = !isTerminal(job.status) && liveBudget > 0;
            if (live) liveBudget -= 1;
            return <JobRow key={job.id} job={job} live={live} now={now} />;
          })}
        </ul>
      ) : null}
      {list && list.count > JOB_PAGE_SIZE ? (
        <nav className="pager" aria-label="Pages of jobs">
          <button type="button" className="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - JOB_PAGE_SIZE))}>
            ← Newer
          </button>
          <span className="muted small" data-testid="page-range">
            {list.results.length > 0 ? `${first}–${last} of ${list.count}` : `none of ${list.count}`}
          </span>
          <button
            type="button"
            className="button"
            disabled={offset + JOB_PAGE_SIZE >= list.count}
            onClick={() => setOffset(offset + JOB_PAGE_SIZE)}
          >
            Older →
          </button>
        </nav>
      ) : null}
    </Layout>
  );
}
