/**
 * The phone panel, loaded the first time the Phone tab opens: the simulator and the IVR engine
 * it runs are a chunk of their own, so the first page load stays small.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Loading } from "../ui/states.tsx";
import type { PhonePanelProps } from "./PhonePanel.tsx";

export function LazyPhone(props: PhonePanelProps) {
  const [Panel, setPanel] = useState<ComponentType<PhonePanelProps> | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    import("./PhonePanel.tsx").then(
      (m) => !gone && setPanel(() => m.default),
      (err: unknown) => !gone && setFailed((err as Error).message),
    );
    return () => {
      gone = true;
    };
  }, []);
  if (failed)
    return (
      <p class="state state-error" role="alert">
        The phone could not load ({failed}). Reload the page to try again.
      </p>
    );
  return Panel ? <Panel {...props} /> : <Loading what="the phone" />;
}
