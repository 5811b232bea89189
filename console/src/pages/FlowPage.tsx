/** A flow: its XML as published. */
import type { FlowVersion } from "../api.ts";
import { formatTn } from "../format.ts";
import { useAsync } from "../ui/async.ts";
import { useApi } from "../ui/context.ts";
import { ErrorState, Loading } from "../ui/states.tsx";

export function FlowPage({ tn }: { tn: string | null }) {
  const api = useApi();
  const flow = useAsync<FlowVersion | null>(() => (tn ? api.getFlow(tn) : Promise.resolve(null)), [api, tn]);
  return (
    <main id="main" class="page">
      <h1>{tn ? formatTn(tn) : "New flow"}</h1>
      {flow.status === "loading" && <Loading what="the flow" />}
      {flow.status === "error" && <ErrorState error={flow.error} retry={flow.reload} />}
      {flow.data && <pre class="xml">{flow.data.xml}</pre>}
    </main>
  );
}
