// The reusable progress hooks, exported by the package's main entry (../index.ts).
// They import nothing of the web app that shares this package (only ../lib and react):
// imports.test.ts fails on any import that reaches the app.
export { useProgress, defaultStreamUrl } from './useProgress';
export type { UseProgressOptions, UseProgressResult } from './useProgress';
export { useSmoothProgress, prefersReducedMotion } from './useSmoothProgress';
export type { UseSmoothProgressOptions } from './useSmoothProgress';
export { useSmoothedETA } from './useSmoothedETA';
export type { UseSmoothedETAOptions } from './useSmoothedETA';
export { useSmoothedEtaRange } from './useSmoothedEtaRange';
export { getProgressColor } from './getProgressColor';
export { stageDisplayName } from '../lib/stages';
export type { ProgressRecord, JobStatus, DoneEvent, StagePlanEntry } from '../lib/types';
export type { StreamOffline, TransportKind } from '../lib/progressStream';
export { jobEndpoints } from '../lib/transports';
export type { StreamEndpoints } from '../lib/transports';
