/** A request's life in a component: loading, its data, or its error; `reload` runs it again. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type AsyncState<T> =
  | { status: "loading"; data?: T; error?: undefined }
  | { status: "done"; data: T; error?: undefined }
  | { status: "error"; data?: T; error: Error };

export function useAsync<T>(run: () => Promise<T>, deps: unknown[]): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const id = ++latest.current;
    setState((s) => ({ status: "loading", ...(s.data !== undefined ? { data: s.data } : {}) }));
    run().then(
      (data) => {
        if (latest.current === id) setState({ status: "done", data });
      },
      (error: unknown) => {
        if (latest.current === id)
          setState((s) => ({ status: "error", error: error as Error, ...(s.data !== undefined ? { data: s.data } : {}) }));
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
