import { describe, expect, it } from 'vitest';
import { currentStepLabel, DEFAULT_STAGES, pipelineSteps, stageDisplayName } from './stages';

describe('stageDisplayName', () => {
  it('names the reference stages for people', () => {
    expect(DEFAULT_STAGES.map((s) => stageDisplayName(s.name))).toEqual([
      'Loading data',
      'Organizing',
      'Building schedule',
      'Optimizing',
      'Finalizing',
    ]);
  });

  it('never shows an algorithm name', () => {
    const shown = DEFAULT_STAGES.map((s) => stageDisplayName(s.name)).join(' ');
    expect(shown).not.toMatch(/cp-?sat|ga\b|rl\b|genetic|reinforcement|solving|_/i);
  });

  it('turns an unknown machine name into words', () => {
    expect(stageDisplayName('fetch_sources')).toBe('Fetch sources');
    expect(stageDisplayName('')).toBe('');
  });
});

describe('currentStepLabel', () => {
  it('is the stage while running and the status otherwise', () => {
    expect(currentStepLabel('running', 'ga_optimization')).toBe('Optimizing');
    expect(currentStepLabel('queued', '')).toBe('Waiting in queue');
    expect(currentStepLabel('completed', 'rl_refinement')).toBe('Completed');
  });
});

describe('pipelineSteps', () => {
  it('marks earlier stages done, the current one current and later ones pending', () => {
    const steps = pipelineSteps(DEFAULT_STAGES, 'cpsat_solving', 'running');
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'current', 'pending', 'pending']);
    expect(steps[2]?.label).toBe('Building schedule');
  });

  it('is all done when completed, all pending before the first stage', () => {
    expect(pipelineSteps([], 'rl_refinement', 'completed').every((s) => s.state === 'done')).toBe(true);
    expect(pipelineSteps([], '', 'queued').every((s) => s.state === 'pending')).toBe(true);
  });

  it('keeps the stage where a failed job stopped as current', () => {
    expect(pipelineSteps(DEFAULT_STAGES, 'clustering', 'failed').map((s) => s.state)).toEqual([
      'done',
      'current',
      'pending',
      'pending',
      'pending',
    ]);
  });
});
