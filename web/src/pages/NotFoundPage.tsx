import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { routes } from '@headway/react/lib/router';

export function NotFoundPage() {
  return (
    <Layout>
      <div className="card empty">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link href={routes.jobs()} className="button">
          Back to jobs
        </Link>
      </div>
    </Layout>
  );
}
