/**
 * The console shell: sign-in gate, header with navigation, and the routed page.
 *
 * Pages: the numbers list, the flow page (with the phone), and the live pages — live calls, a
 * call's page, a number's recent calls — which load on first visit (live/LazyLive.tsx).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api, setUnauthorizedHandler } from "./api.ts";
import { LazyLive } from "./live/LazyLive.tsx";
import { FlowPage } from "./pages/FlowPage.tsx";
import { Numbers } from "./pages/Numbers.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { onLinkClick, useRoute, type Route } from "./router.ts";
import { clearToken, loadToken, saveToken } from "./session.ts";
import { ApiContext } from "./ui/context.ts";

const NAV: { href: string; label: string; active: (r: Route) => boolean }[] = [
  { href: "/", label: "Numbers", active: (r) => r.page === "numbers" || r.page === "flow" || r.page === "new-flow" },
  { href: "/calls", label: "Live calls", active: (r) => r.page === "live" || r.page === "call" || r.page === "number-calls" },
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
    case "live":
      return <LazyLive kind="live" />;
    case "number-calls":
      return <LazyLive kind="live" tn={route.tn} />;
    case "call":
      return <LazyLive kind="call" id={route.id} />;
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
    case "live":
      return "Live calls · tactflow";
    case "number-calls":
      return `Calls to ${route.tn} · tactflow`;
    case "call":
      return `Call ${route.id} · tactflow`;
    case "not-found":
      return "Not found · tactflow";
    default: {
      const never: never = route;
      return String(never);
    }
  }
}
