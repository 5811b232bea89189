/**
 * Workers KV in memory, as much of it as the flow store (src/flows/store.ts) uses: get (one key
 * or a bulk list, text or JSON), put with metadata, delete, list by prefix. It lets
 * `tactflow test` and the publish gate keep flows with the store's own code, in Node or in a
 * request of the Worker, without touching the real namespace.
 */

interface Entry {
  value: string;
  metadata: unknown;
}

type GetOptions = { type?: string } | string | undefined;

function typeOf(opts: GetOptions): string {
  return typeof opts === "string" ? opts : (opts?.type ?? "text");
}

function decode(entry: Entry | undefined, type: string): unknown {
  if (!entry) return null;
  return type === "json" ? JSON.parse(entry.value) : entry.value;
}

export class MemoryKv {
  readonly #data = new Map<string, Entry>();

  async get(key: string | string[], opts?: GetOptions): Promise<unknown> {
    const type = typeOf(opts);
    if (Array.isArray(key)) return new Map(key.map((k) => [k, decode(this.#data.get(k), type)]));
    return decode(this.#data.get(key), type);
  }

  async put(key: string, value: string, opts: { metadata?: unknown } = {}): Promise<void> {
    this.#data.set(key, { value, metadata: opts.metadata ?? null });
  }

  async delete(key: string): Promise<void> {
    this.#data.delete(key);
  }

  async list(
    opts: { prefix?: string; limit?: number } = {},
  ): Promise<{ keys: Array<{ name: string; metadata: unknown }>; list_complete: true }> {
    const keys = [...this.#data.keys()]
      .filter((k) => k.startsWith(opts.prefix ?? ""))
      .sort()
      .slice(0, opts.limit ?? 1000)
      .map((name) => ({ name, metadata: this.#data.get(name)?.metadata ?? null }));
    return { keys, list_complete: true };
  }

  /** This store as the binding type the flow store expects (the methods above are all it calls). */
  asNamespace(): KVNamespace {
    return this as unknown as KVNamespace;
  }
}
