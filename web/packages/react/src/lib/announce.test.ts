import { describe, expect, it } from 'vitest';
import { announcement, type AnnouncedState } from './announce';

const live: AnnouncedState = { finalStatus: null, stepLabel: 'Building schedule', connection: 'live', transport: 'sse', offline: false };

describe('announcement', () => {
  it('says the step and how updates arrive, never a percentage', () => {
    expect(announcement(live)).toBe('Building schedule. Live updates, server-sent events.');
    expect(announcement({ ...live, transport: 'websocket' })).toBe('Building schedule. Live updates, WebSocket.');
    expect(announcement({ ...live, transport: 'poll' })).toBe('Building schedule. Live updates, checking every 2 seconds.');
  });

  it('says when the connection is lost, and when the page is offline', () => {
    expect(announcement({ ...live, connection: 'disconnected', transport: null })).toBe('Connection lost. Reconnecting.');
    expect(announcement({ ...live, connection: 'disconnected', transport: null, offline: true })).toBe(
      'Offline. Live updates stopped; retrying automatically.',
    );
  });

  it('says how the job ended, leaving a failure to its alert', () => {
    expect(announcement({ ...live, finalStatus: 'completed', connection: 'closed' })).toBe('Done: the schedule is ready.');
    expect(announcement({ ...live, finalStatus: 'cancelled', connection: 'closed' })).toBe('The run was cancelled.');
    expect(announcement({ ...live, finalStatus: 'failed', connection: 'closed' })).toBe('');
    expect(announcement({ ...live, connection: 'connecting', transport: null })).toBe('');
  });
});
