/**
 * Reading request bodies with a size limit, without trusting `content-length`: the stream is
 * read until the limit is passed, then cancelled.
 */

/** The body's bytes, or null when it is longer than `limit` bytes. */
export async function readBytesLimited(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.byteLength;
  }
  return all;
}

/** The body as UTF-8 text (a BOM is dropped), or null when it is longer than `limit` bytes. */
export async function readTextLimited(req: Request, limit: number): Promise<string | null> {
  const bytes = await readBytesLimited(req, limit);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/** The media type of a `content-type` header, lower-cased, without parameters. */
export function mediaType(header: string | null | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}
