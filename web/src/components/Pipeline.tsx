import type { PipelineStep } from '@headway/react/lib/stages';

const STATE_TEXT = { done: 'done', current: 'in progress', pending: 'not started' } as const;

/** The job's stages in order, each done, current or pending. */
export function Pipeline({ steps, stopped = false }: { steps: PipelineStep[]; stopped?: boolean }) {
  return (
    <ol className={`pipeline${stopped ? ' pipeline--stopped' : ''}`} aria-label="Stages">
      {steps.map((step, i) => (
        <li
          key={step.name}
          className={`pipeline__step pipeline__step--${step.state}`}
          aria-current={step.state === 'current' ? 'step' : undefined}
          data-state={step.state}
        >
          <span className="pipeline__marker" aria-hidden="true">
            {step.state === 'done' ? (
              <svg viewBox="0 0 16 16" width="12" height="12">
                <path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
            ) : (
              i + 1
            )}
          </span>
          <span className="pipeline__label">{step.label}</span>
          <span className="visually-hidden"> ({stopped && step.state === 'current' ? 'stopped here' : STATE_TEXT[step.state]})</span>
        </li>
      ))}
    </ol>
  );
}
