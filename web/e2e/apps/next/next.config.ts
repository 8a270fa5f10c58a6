import type { NextConfig } from 'next';

// The page and headway serve on one origin: /api is forwarded to the server.
// headway's paths end in "/", so Next.js must not redirect them away. Next.js
// gzips what it forwards, which holds a Server-Sent Events stream back until it
// ends (the client then falls back to polling): compression is left to a proxy
// in front that knows not to compress text/event-stream.
const headway = process.env.HEADWAY_URL ?? 'http://127.0.0.1:8000';

const config: NextConfig = {
  skipTrailingSlashRedirect: true,
  compress: false,
  async rewrites() {
    return [{ source: '/api/:path*/', destination: `${headway}/api/:path*/` }];
  },
};

export default config;
