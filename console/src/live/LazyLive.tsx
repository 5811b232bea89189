/**
 * The live pages, loaded on first visit: the event stream client, the call page's engine (the
 * phone's) and the timeline are chunks of their own, so the numbers list and the flow page load
 * without them.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Loading } from "../ui/states.tsx";

type Props = { kind: "live"; tn?: string } | { kind: "call"; id: string };

export function LazyLive(props: Props) {
  const [Page, setPage] = useState<{ kind: Props["kind"]; C: ComponentType<never> } | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    const load = props.kind === "live" ? import("./LiveCalls.tsx") : import("./CallPage.tsx");
    load.then(
      (m) => !gone && setPage({ kind: props.kind, C: m.default as ComponentType<never> }),
      (err: unknown) => !gone && setFailed((err as Error).message),
    );
    return () => {
      gone = true;
    };
  }, [props.kind]);
  if (failed)
    return (
      <main id="main" class="page">
        <p class="state state-error" role="alert">
          This page could not load ({failed}). Reload to try again.
        </p>
      </main>
    );
  if (!Page || Page.kind !== props.kind)
    return (
      <main id="main" class="page">
        <Loading what={props.kind === "live" ? "live calls" : "the call"} />
      </main>
    );
  const C = Page.C as ComponentType<Record<string, unknown>>;
  return props.kind === "live" ? <C key={props.tn ?? ""} {...(props.tn ? { tn: props.tn } : {})} /> : <C key={props.id} id={props.id} />;
}
