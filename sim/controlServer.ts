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
  res.statusCode = answer.status;
  for (const [k, v] of answer.headers) res.setHeader(k, v);
  res.end(Buffer.from(await answer.arrayBuffer()));
}

/** Serve `platform` on 127.0.0.1:`port` (0: any free port). */
export function serveCallControl(platform: CallControlPlatform, port = 0): Promise<ControlServer> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      toRequest(req, base)
        .then((request) => platform.handle(request))
        .then((answer) => send(res, answer))
        .catch((err: unknown) => {
          res.statusCode = 500;
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ success: false, message: err instanceof Error ? err.message : String(err) }));
        });
    });
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
