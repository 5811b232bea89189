/**
 * The console shell: sign-in gate, header with navigation, and the routed page.
 *
 * Pages: the numbers list and the flow page. Part two of the console (the in-browser phone and
 * live calls) adds a "Live calls" entry to {@link NAV} and its routes to router.ts.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api, setUnauthorizedHandler } from "./api.ts";
import { FlowPage } from "./pages/FlowPage.tsx";
import { Numbers } from "./pages/Numbers.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { onLinkClick, useRoute, type Route } from "./router.ts";
import { clearToken, loadToken, saveToken } from "./session.ts";
import { ApiContext } from "./ui/context.ts";

const NAV: { href: string; label: string; active: (r: Route) => boolean }[] = [
  { href: "/", label: "Numbers", active: (r) => r.page === "numbers" || r.page === "flow" || r.page === "new-flow" },
];

export function App() {
  const [token, setToken] = useState<string | null>(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();

  useEffect(() => {
    setUnauthorizedHandler((problem) => {
      clearToken();
      setToken(null);
      setNotice(`The server no longer accepts this token (${problem.title}). Sign in again.`);
    });
  }, []);

  const api = useMemo(() => (token ? new Api(token) : null), [token]);

  useEffect(() => {
    document.title = titleOf(route);
  }, [route]);

  if (!api) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }

  const signOut = () => {
    clearToken();
    setNotice("Signed out. The token was forgotten by this tab.");
    setToken(null);
  };

  return (
    <ApiContext.Provider value={api}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a href="/" class="brand" onClick={onLinkClick}>
          <span class="brand-mark" aria-hidden="true" /> tactflow
        </a>
        <nav aria-label="Console">
          {NAV.map((n) => (
            <a key={n.href} href={n.href} onClick={onLinkClick} aria-current={n.active(route) ? "page" : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <button type="button" class="btn btn-quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Page route={route} />
    </ApiContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "numbers":
      return <Numbers />;
    case "flow":
      return <FlowPage key={route.tn} tn={route.tn} />;
    case "new-flow":
      return <FlowPage key="new" tn={null} />;
    case "not-found":
      return (
        <main id="main" class="page">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>.{" "}
            <a href="/" onClick={onLinkClick}>
              Back to the numbers
            </a>
          </p>
        </main>
      );
    default: {
      const never: never = route;
      throw new Error(`unhandled route ${JSON.stringify(never)}`);
    }
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case "numbers":
      return "Numbers · tactflow";
    case "flow":
      return `${route.tn} · tactflow`;
    case "new-flow":
      return "New flow · tactflow";
    case "not-found":
      return "Not found · tactflow";
    default: {
      const never: never = route;
      return String(never);
    }
  }
}
