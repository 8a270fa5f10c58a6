// The package's entry points (index.ts: the hooks and the client; client.ts: the
// client alone) reach nothing of the web app that lives in this package too (its
// API client, its routes, its app-only hooks) and no package but react (the
// client not even that). This reads the source of every module an entry point
// reaches (type-only imports and re-exports included) and fails on any other import.

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>(['/src/**/*.{ts,tsx}', '!/src/**/*.test.{ts,tsx}'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** Keys as paths under src/: "hooks/index.ts". */
const SOURCE_BY_PATH = new Map(Object.entries(sources).map(([key, text]) => [key.replace(/^\/src\//, ''), text]));

const ENTRY = 'index.ts';
const CLIENT_ENTRY = 'client.ts';
const REUSABLE_HOOKS = new Set([
  'hooks/index.ts',
  'hooks/useProgress.ts',
  'hooks/useSmoothProgress.ts',
  'hooks/useSmoothedETA.ts',
  'hooks/useSmoothedEtaRange.ts',
  'hooks/getProgressColor.ts',
]);
/** src/lib modules that belong to this app: its HTTP client (with the 401 → /login hook) and its routes. */
const APP_LIB = new Set(['lib/api.ts', 'lib/router.ts']);
const ALLOWED_PACKAGES = new Set(['react']);

function normalise(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

function resolve(from: string, specifier: string, files: ReadonlyMap<string, string>): string | null {
  const base = normalise(`${from.slice(0, from.lastIndexOf('/') + 1)}${specifier}`);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    if (files.has(candidate)) return candidate;
  }
  return null;
}

function isAllowedModule(path: string): boolean {
  if (path === ENTRY || path === CLIENT_ENTRY) return true;
  if (path.startsWith('hooks/')) return REUSABLE_HOOKS.has(path);
  return path.startsWith('lib/') && !APP_LIB.has(path);
}

/** Every module reachable from `entry`, and every import that leaves the reusable set. */
function checkImports(entry: string, files: ReadonlyMap<string, string>, allowedPackages = ALLOWED_PACKAGES) {
  const reached = new Set<string>();
  const violations: string[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (reached.has(path)) continue;
    reached.add(path);
    const { importedFiles } = ts.preProcessFile(files.get(path)!, true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith('.')) {
        if (!allowedPackages.has(specifier)) violations.push(`${path} imports the package ${specifier}`);
        continue;
      }
      const target = resolve(path, specifier, files);
      if (target === null) violations.push(`${path} imports ${specifier}, which is not a module under src/`);
      else if (!isAllowedModule(target)) violations.push(`${path} imports ${target}, which belongs to the app`);
      else queue.push(target);
    }
  }
  return { reached: [...reached].sort(), violations };
}

describe('the package entry points', () => {
  it('the hooks reach only themselves, src/lib (minus the app’s API client and routes) and react', () => {
    const { reached, violations } = checkImports(ENTRY, SOURCE_BY_PATH);
    expect(violations).toEqual([]);
    for (const hook of REUSABLE_HOOKS) expect(reached).toContain(hook);
    expect(reached).toContain('lib/streamRegistry.ts'); // the walk follows imports transitively
  });

  it('the framework-free client reaches neither React nor the app', () => {
    const { reached, violations } = checkImports(CLIENT_ENTRY, SOURCE_BY_PATH, new Set());
    expect(violations).toEqual([]);
    expect(reached).toContain('lib/jobMultiplexer.ts');
    expect(reached.some((path) => path.startsWith('hooks/'))).toBe(false);
  });

  it('the check catches an import of the app, also through a lib module and a type-only import', () => {
    const files = new Map(SOURCE_BY_PATH);
    files.set('lib/eta.ts', `${files.get('lib/eta.ts')}\nimport type { Job } from './api';\n`);
    files.set(
      'hooks/useSmoothProgress.ts',
      `import { Layout } from '../components/Layout';\nexport { useJobList } from './useJobList';\n${files.get('hooks/useSmoothProgress.ts')}`,
    );
    expect(checkImports(ENTRY, files).violations).toEqual([
      'hooks/useSmoothProgress.ts imports ../components/Layout, which is not a module under src/',
      'hooks/useSmoothProgress.ts imports hooks/useJobList.ts, which belongs to the app',
      'lib/eta.ts imports lib/api.ts, which belongs to the app',
    ]);
  });
});
