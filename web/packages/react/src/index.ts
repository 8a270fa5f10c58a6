// The package's main entry: the React hooks and, for convenience, the whole
// framework-free client (also importable alone from "@headway/react/client").
export * from './hooks/index';
export * from './client';
