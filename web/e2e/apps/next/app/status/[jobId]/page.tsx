import { JobProgress } from './JobProgress';

// A server component: it reads the job id from the URL and hands it to the
// client component, which streams the job's progress in the browser.
export default async function StatusPage({ params }: { params: Promise<{ jobId: string }> }) {
  const { jobId } = await params;
  return <JobProgress jobId={decodeURIComponent(jobId)} />;
}
