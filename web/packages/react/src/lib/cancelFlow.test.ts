import { describe, expect, it } from 'vitest';
import { cancelReducer, INITIAL_CANCEL_STATE, type CancelAction, type CancelState } from './cancelFlow';

const run = (actions: CancelAction[], from: CancelState = INITIAL_CANCEL_STATE) => actions.reduce(cancelReducer, from);

describe('cancelReducer', () => {
  it('asks, sends and reports the request taken', () => {
    expect(run([{ type: 'ask' }])).toEqual({ step: 'confirming' });
    expect(run([{ type: 'ask' }, { type: 'send' }])).toEqual({ step: 'sending' });
    expect(run([{ type: 'ask' }, { type: 'send' }, { type: 'sent' }])).toEqual({ step: 'sent' });
  });

  it('"keep running" goes back to idle, and a failed request can be asked again', () => {
    expect(run([{ type: 'ask' }, { type: 'dismiss' }])).toEqual({ step: 'idle' });
    const failed = run([{ type: 'ask' }, { type: 'send' }, { type: 'failed', message: 'already finished' }]);
    expect(failed).toEqual({ step: 'error', message: 'already finished' });
    expect(cancelReducer(failed, { type: 'ask' })).toEqual({ step: 'confirming' });
  });

  it('ignores actions that do not fit the state: no send without a question, no second request', () => {
    expect(run([{ type: 'send' }])).toEqual({ step: 'idle' });
    expect(run([{ type: 'sent' }])).toEqual({ step: 'idle' });
    const sending = run([{ type: 'ask' }, { type: 'send' }]);
    expect(cancelReducer(sending, { type: 'ask' })).toBe(sending);
    expect(cancelReducer(sending, { type: 'dismiss' })).toBe(sending);
    const sent = run([{ type: 'sent' }], sending);
    expect(cancelReducer(sent, { type: 'failed', message: 'late' })).toBe(sent);
  });
});
