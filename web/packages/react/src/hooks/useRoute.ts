import { useSyncExternalStore } from 'react';
import { matchRoute, subscribeToLocation, type Route } from '../lib/router';

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

/** The current route; re-renders on navigate() and the browser's back/forward. */
export function useRoute(): Route {
  const location = useSyncExternalStore(subscribeToLocation, snapshot);
  const queryAt = location.indexOf('?');
  return queryAt < 0 ? matchRoute(location) : matchRoute(location.slice(0, queryAt), location.slice(queryAt));
}
