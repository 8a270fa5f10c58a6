import type { NextConfig } from 'next';

// The page and headway serve on one origin: /api is forwarded to the server.
// headway's paths end in "/", so Next.js must not redirect them away.
const headway = process.env.HEADWAY_URL ?? 'http://127.0.0.1:8000';

const config: NextConfig = {
  skipTrailingSlashRedirect: true,
  async rewrites() {
    return [{ source: '/api/:path*/', destination: `${headway}/api/:path*/` }];
  },
};

export default config;
