'use client';

import { useState } from 'react';
import { stageDisplayName, useProgress, useSmoothedETA, useSmoothProgress, type DoneEvent } from '@headway/react';
import { getProgressColor } from '@headway/react/client';

export function JobProgress({ jobId }: { jobId: string }) {
  const [done, setDone] = useState<DoneEvent | null>(null);
  const { progress, transport } = useProgress(jobId, { onComplete: (event) => setDone(event) });
  const percent = useSmoothProgress(progress?.overall_progress ?? 0, { resetKey: progress?.attempt });
  const eta = useSmoothedETA(progress?.eta_seconds ?? null);
  return (
    <main style={{ fontFamily: 'sans-serif', maxWidth: 480, margin: '48px auto' }}>
      <h1>Job {jobId}</h1>
      <div
        role="progressbar"
        aria-label="Job progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(percent)}
        style={{ height: 12, background: '#e5e7eb', borderRadius: 6, overflow: 'hidden' }}
      >
        <div style={{ width: `${percent}%`, height: '100%', background: getProgressColor(percent) }} />
      </div>
      <p data-testid="stage">{progress ? stageDisplayName(progress.stage) : 'Connecting…'}</p>
      <p>Time left: {eta}</p>
      <p data-testid="transport">{transport ?? (done ? 'stream closed' : 'connecting')}</p>
      {done && <p data-testid="done">Finished: {done.status}</p>}
    </main>
  );
}
