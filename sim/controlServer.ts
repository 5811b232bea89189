/**
 * The simulator's Call Control API on a real port (Node only), for `wrangler dev` to reach at
 * its PLATFORM_API_URL. The handling itself is `CallControlPlatform` (sim/control.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { CallControlPlatform } from "./control.ts";

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

async function toRequest(req: IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) for (const one of v) headers.append(k, one);
  }
  const method = req.method ?? "GET";
  return new Request(new URL(req.url ?? "/", base), {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
  });
}

async function send(res: ServerResponse, answer: Response): Promise<void> {
  const body = Buffer.from(await answer.arrayBuffer());
  // The client may have gone (or the server closed) while the platform worked on the request.
  if (res.destroyed || res.writableEnded) return;
  res.statusCode = answer.status;
  for (const [k, v] of answer.headers) res.setHeader(k, v);
  res.end(body);
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.destroyed || res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = 500;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ success: false, message: err instanceof Error ? err.message : String(err) }));
}

/**
 * Serve `platform` on 127.0.0.1:`port` (0: any free port). A request that arrives while the
 * server is closing is still answered (or dropped) without throwing: the base URL is fixed once
 * the port is known, because `server.address()` is null after `close()`.
 */
export function serveCallControl(platform: CallControlPlatform, port = 0): Promise<ControlServer> {
  return new Promise((resolve, reject) => {
    let base = `http://127.0.0.1:${port}`;
    const server: Server = createServer((req, res) => {
      toRequest(req, base)
        .then((request) => platform.handle(request))
        .then((answer) => send(res, answer))
        .catch((err: unknown) => fail(res, err));
    });
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      base = `http://127.0.0.1:${address.port}`;
      resolve({
        url: base,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // Keep-alive connections would hold close() open; requests in flight still finish.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
