import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { JobProgress } from './JobProgress';

const jobId = new URLSearchParams(window.location.search).get('job');

createRoot(document.getElementById('root')!).render(
  <StrictMode>{jobId ? <JobProgress jobId={jobId} /> : <p>Open this page with ?job=&lt;job id&gt;.</p>}</StrictMode>,
);
