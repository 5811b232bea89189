/**
 * Path routing with the History API. The Worker serves index.html for any path that is not an
 * asset or the API (single-page-application fallback), so every route here is a real URL that
 * can be bookmarked and reloaded.
 *
 * Routes: `/` the numbers list, `/flows/{tn}` a flow (`/flows/new` to write one), `/calls` the
 * live calls, `/calls/{call}` a call's page, `/numbers/{tn}/calls` a number's recent calls.
 */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "numbers" }
  | { page: "flow"; tn: string }
  | { page: "new-flow" }
  | { page: "live" }
  | { page: "call"; id: string }
  | { page: "number-calls"; tn: string }
  | { page: "not-found"; path: string };

export function matchRoute(path: string): Route {
  if (path === "/" || path === "") return { page: "numbers" };
  if (path === "/flows/new") return { page: "new-flow" };
  const flow = /^\/flows\/([^/]+)\/?$/.exec(path);
  if (flow) return { page: "flow", tn: decodeURIComponent(flow[1]!) };
  if (path === "/calls" || path === "/calls/") return { page: "live" };
  const call = /^\/calls\/([^/]+)\/?$/.exec(path);
  if (call) return { page: "call", id: decodeURIComponent(call[1]!) };
  const numberCalls = /^\/numbers\/([^/]+)\/calls\/?$/.exec(path);
  if (numberCalls) return { page: "number-calls", tn: decodeURIComponent(numberCalls[1]!) };
  return { page: "not-found", path };
}

export function flowPath(tn: string): string {
  return `/flows/${encodeURIComponent(tn)}`;
}

const listeners = new Set<() => void>();

export function navigate(path: string, { replace = false } = {}): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const l of listeners) l();
}

/** The current route; re-renders on navigation and on back/forward. */
export function useRoute(): Route {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return matchRoute(path);
}

/** A click on an in-app link: navigate without a reload unless the user asked for a new tab. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.currentTarget ?? e.target) as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute("href");
  if (!href?.startsWith("/")) return;
  e.preventDefault();
  navigate(href);
}
