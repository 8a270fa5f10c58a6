// The cancel control's states: ask, confirm, send, and what came of it. A
// reducer, so an answer that arrives in the wrong state changes nothing.

export type CancelState =
  | { step: 'idle' }
  | { step: 'confirming' }
  | { step: 'sending' }
  | { step: 'sent' }
  | { step: 'error'; message: string };

export type CancelAction =
  | { type: 'ask' }
  | { type: 'dismiss' }
  | { type: 'send' }
  | { type: 'sent' }
  | { type: 'failed'; message: string };

export const INITIAL_CANCEL_STATE: CancelState = { step: 'idle' };

export function cancelReducer(state: CancelState, action: CancelAction): CancelState {
  switch (action.type) {
    case 'ask':
      return state.step === 'idle' || state.step === 'error' ? { step: 'confirming' } : state;
    case 'dismiss':
      return state.step === 'confirming' ? { step: 'idle' } : state;
    case 'send':
      return state.step === 'confirming' ? { step: 'sending' } : state;
    case 'sent':
      return state.step === 'sending' ? { step: 'sent' } : state;
    case 'failed':
      return state.step === 'sending' ? { step: 'error', message: action.message } : state;
  }
}
