// The framework-free client: everything the hooks are built on, for code that
// does not use React (or wraps it for another framework). Imports nothing but itself.
export * from './lib/progressStream';
export * from './lib/jobMultiplexer';
export * from './lib/streamRegistry';
export * from './lib/transports';
export * from './lib/backoff';
export * from './lib/smoothing';
export * from './lib/eta';
export * from './lib/colors';
export * from './lib/stages';
export * from './lib/time';
export * from './lib/record';
export * from './lib/types';
