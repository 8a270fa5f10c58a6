import { describe, expect, it } from 'vitest';
import { matchRoute, routes } from './router';

describe('matchRoute', () => {
  it('knows the job list, generate, status and login pages', () => {
    expect(matchRoute('/')).toEqual({ name: 'jobs' });
    expect(matchRoute('/admin/timetables/')).toEqual({ name: 'jobs' });
    expect(matchRoute('/admin/timetables')).toEqual({ name: 'jobs' });
    expect(matchRoute('/admin/timetables/generate/')).toEqual({ name: 'generate' });
    expect(matchRoute('/admin/timetables/status/6f1c1c0e-8d1f')).toEqual({ name: 'status', jobId: '6f1c1c0e-8d1f' });
    expect(matchRoute('/admin/timetables/status/abc/')).toEqual({ name: 'status', jobId: 'abc' });
    expect(matchRoute('/nope')).toEqual({ name: 'notFound' });
  });

  it('follows only same-site paths after login', () => {
    expect(matchRoute('/login', '?next=%2Fadmin%2Ftimetables%2Fstatus%2Fx')).toEqual({ name: 'login', next: '/admin/timetables/status/x' });
    expect(matchRoute('/login', '?next=%2F%2Fevil.example')).toEqual({ name: 'login', next: '/admin/timetables/' });
    expect(matchRoute('/login', '?next=https%3A%2F%2Fevil.example')).toEqual({ name: 'login', next: '/admin/timetables/' });
  });

  it('builds the addresses it matches', () => {
    expect(matchRoute(routes.status('a b'))).toEqual({ name: 'status', jobId: 'a b' });
    expect(routes.login('/x?y=1')).toBe('/login?next=%2Fx%3Fy%3D1');
  });
});
