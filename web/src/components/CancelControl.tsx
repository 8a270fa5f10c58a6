import { useEffect, useReducer, useRef } from 'react';
import { api, ApiError, describeError } from '@headway/react/lib/api';
import { cancelReducer, INITIAL_CANCEL_STATE } from '@headway/react/lib/cancelFlow';

/** "Cancel job", a question to confirm it, then DELETE .../cancel/ and what came of it. */
export function CancelControl({ jobId }: { jobId: string }) {
  const [cancel, dispatch] = useReducer(cancelReducer, INITIAL_CANCEL_STATE);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const cancelButtonRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    // Focus moves into the question, and back to "Cancel job" when it is answered "keep running".
    if (cancel.step === 'confirming') confirmRef.current?.focus();
    else if (wasConfirming.current && cancel.step === 'idle') cancelButtonRef.current?.focus();
    wasConfirming.current = cancel.step === 'confirming';
  }, [cancel.step]);

  const sendCancel = async () => {
    dispatch({ type: 'send' });
    try {
      await api.cancelJob(jobId);
      dispatch({ type: 'sent' });
    } catch (error) {
      const message =
        error instanceof ApiError && error.status === 409
          ? 'This job has already finished, so it can no longer be cancelled.'
          : describeError(error);
      dispatch({ type: 'failed', message });
    }
  };

  return (
    <div className="cancel-area">
      {cancel.step === 'idle' || cancel.step === 'error' ? (
        <button ref={cancelButtonRef} type="button" className="button button--danger-quiet" onClick={() => dispatch({ type: 'ask' })}>
          Cancel job
        </button>
      ) : null}
      {cancel.step === 'error' ? (
        <p className="notice notice--error" role="alert">
          {cancel.message}
        </p>
      ) : null}
      {cancel.step === 'confirming' ? (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby="confirm-title"
          aria-describedby="confirm-text"
          onKeyDown={(event) => {
            if (event.key === 'Escape') dispatch({ type: 'dismiss' });
          }}
        >
          <p id="confirm-title" className="confirm__title">
            Cancel this timetable generation?
          </p>
          <p id="confirm-text" className="muted">
            The run stops within a few seconds and its progress is lost.
          </p>
          <div className="confirm__actions">
            <button ref={confirmRef} type="button" className="button" onClick={() => dispatch({ type: 'dismiss' })}>
              Keep running
            </button>
            <button type="button" className="button button--danger" onClick={() => void sendCancel()}>
              Yes, cancel job
            </button>
          </div>
        </div>
      ) : null}
      {cancel.step === 'sending' ? <p className="muted">Cancelling…</p> : null}
      {cancel.step === 'sent' ? <p className="muted">Cancellation requested — stopping the run…</p> : null}
    </div>
  );
}
