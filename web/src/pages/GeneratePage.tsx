import { useState, type FormEvent } from 'react';
import { Layout } from '../components/Layout';
import { api, ApiError, describeError, type TimetableParams } from '@headway/react/lib/api';
import { navigate, routes } from '@headway/react/lib/router';
import { DEFAULT_STAGES, stageDisplayName } from '@headway/react/lib/stages';

export function GeneratePage() {
  const [clusters, setClusters] = useState('216');
  const [duration, setDuration] = useState('60');
  const [failAt, setFailAt] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const params: TimetableParams = { clusters: Number(clusters), duration_s: Number(duration) };
    if (failAt) params.fail_at = failAt;
    setSubmitting(true);
    try {
      const { id } = await api.createJob({ type: 'timetable', params: { ...params } });
      navigate(routes.status(id));
    } catch (e) {
      setSubmitting(false);
      if (e instanceof ApiError && e.status === 401) return;
      setError(describeError(e));
    }
  };

  return (
    <Layout active="generate">
      <div className="page-head">
        <div>
          <h1>Generate Timetable</h1>
          <p className="muted">Starts a new timetable run. You can watch it live and cancel it at any time.</p>
        </div>
      </div>
      <form className="card form" onSubmit={submit} noValidate={false}>
        <div className="field">
          <label htmlFor="clusters">Clusters to schedule</label>
          <input
            id="clusters"
            name="clusters"
            type="number"
            inputMode="numeric"
            min={1}
            max={100000}
            required
            value={clusters}
            onChange={(e) => setClusters(e.target.value)}
          />
          <p className="hint">Groups of courses solved one after another. The reference workload has 216.</p>
        </div>
        <div className="field">
          <label htmlFor="duration">Target duration (seconds)</label>
          <input
            id="duration"
            name="duration_s"
            type="number"
            inputMode="decimal"
            min={1}
            max={86400}
            step="any"
            required
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
          />
          <p className="hint">How long the simulated run should take.</p>
        </div>
        <details className="field advanced">
          <summary>Advanced</summary>
          <label htmlFor="fail_at">Fail on purpose at</label>
          <select id="fail_at" name="fail_at" value={failAt} onChange={(e) => setFailAt(e.target.value)}>
            <option value="">Never (normal run)</option>
            {DEFAULT_STAGES.map((s) => (
              <option key={s.name} value={s.name}>
                {stageDisplayName(s.name)}
              </option>
            ))}
          </select>
          <p className="hint">For demos and drills: the run stops with an error at that stage.</p>
        </details>
        {error ? (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={submitting}>
            {submitting ? 'Starting…' : 'Generate Timetable'}
          </button>
        </div>
      </form>
    </Layout>
  );
}
