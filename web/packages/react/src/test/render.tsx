import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

export interface Rendered {
  container: HTMLElement;
  rerender(ui: ReactNode): void;
  unmount(): void;
}

/** Minimal render into a fresh container, inside act(). */
export function render(ui: ReactNode): Rendered {
  const container = document.createElement('div');
  document.body.appendChild(container);
  let root: Root | null = createRoot(container);
  act(() => root!.render(ui));
  return {
    container,
    rerender: (next) => act(() => root!.render(next)),
    unmount: () => {
      act(() => root?.unmount());
      root = null;
      container.remove();
    },
  };
}

/** Renders `hook` in a component and exposes its latest result and every result rendered. */
export function renderHook<P, R>(hook: (props: P) => R, initialProps: NoInfer<P>) {
  const results: R[] = [];
  function Probe({ props }: { props: P }) {
    results.push(hook(props));
    return null;
  }
  const rendered = render(<Probe props={initialProps} />);
  return {
    get current(): R {
      return results[results.length - 1] as R;
    },
    results,
    rerender: (props: P) => rendered.rerender(<Probe props={props} />),
    unmount: rendered.unmount,
  };
}

export { act };
