import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render } from '../../packages/react/src/test/render';
import { GeneratePage } from './GeneratePage';

const NEW_ID = '2b4d1f0a-6c1e-4b9e-9a53-0c1d2e3f4a5b';

let answer: () => Response;
const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => answer());
const posts = () =>
  fetchMock.mock.calls
    .filter(([url, init]) => url === '/api/generation-jobs/generate/' && init?.method === 'POST')
    .map(([, init]) => JSON.parse(String(init?.body)) as unknown);

beforeEach(() => {
  fetchMock.mockClear();
  answer = () => new Response(JSON.stringify({ id: NEW_ID, status: 'queued' }), { status: 201 });
  vi.stubGlobal('fetch', fetchMock);
  window.history.replaceState(null, '', '/admin/timetables/generate/');
});
afterEach(() => vi.unstubAllGlobals());

/** Type into a controlled field the way a person does (React listens to `input`/`change`). */
function setField(element: HTMLInputElement | HTMLSelectElement, value: string) {
  const proto = element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

async function submit(container: HTMLElement) {
  await act(async () => {
    container.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
  });
}

describe('GeneratePage', () => {
  it('POSTs a timetable job with the form values, then goes to its status page', async () => {
    const page = render(<GeneratePage />);
    setField(page.container.querySelector<HTMLInputElement>('#clusters')!, '40');
    setField(page.container.querySelector<HTMLInputElement>('#duration')!, '14');
    await submit(page.container);
    expect(posts()).toEqual([{ type: 'timetable', params: { clusters: 40, duration_s: 14 } }]);
    expect(window.location.pathname).toBe(`/admin/timetables/status/${NEW_ID}`);
    page.unmount();
  });

  it('sends the stage to fail at when one is chosen', async () => {
    const page = render(<GeneratePage />);
    setField(page.container.querySelector<HTMLSelectElement>('#fail_at')!, 'cpsat_solving');
    await submit(page.container);
    expect(posts()).toEqual([{ type: 'timetable', params: { clusters: 216, duration_s: 60, fail_at: 'cpsat_solving' } }]);
    page.unmount();
  });

  it('shows the server’s reason when the job cannot be created, stays on the page and can try again', async () => {
    answer = () =>
      new Response(JSON.stringify({ error: 'Bad request', detail: 'duration_s must be at most 86400.' }), { status: 400 });
    const page = render(<GeneratePage />);
    await submit(page.container);
    expect(page.container.querySelector('[role="alert"]')?.textContent).toBe('duration_s must be at most 86400.');
    expect(window.location.pathname).toBe('/admin/timetables/generate/');
    const button = page.container.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe('Generate Timetable');

    answer = () => new Response(JSON.stringify({ id: NEW_ID }), { status: 201 });
    await submit(page.container);
    expect(page.container.querySelector('[role="alert"]')).toBeNull();
    expect(window.location.pathname).toBe(`/admin/timetables/status/${NEW_ID}`);
    page.unmount();
  });

  it('says the server could not be reached when the request fails on the network', async () => {
    fetchMock.mockImplementationOnce(async () => {
      throw new TypeError('Failed to fetch');
    });
    const page = render(<GeneratePage />);
    await submit(page.container);
    expect(page.container.querySelector('[role="alert"]')?.textContent).toBe(
      'The server could not be reached. Check your connection and try again.',
    );
    expect(window.location.pathname).toBe('/admin/timetables/generate/');
    page.unmount();
  });
});
