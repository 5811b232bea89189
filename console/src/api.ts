/**
 * The console's only way to the server: the public HTTP API under /v1 with
 * `Authorization: Bearer <token>`. Failures become {@link ApiError}s carrying the RFC 9457
 * problem document, so pages can show its title, detail, field errors and diagnostics.
 */
import type { Diagnostic } from "../../src/xml/index.ts";

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** 400 from a zod schema: which field and why. */
  errors?: FieldError[];
  /** 422 from publishing: the flow's findings with line and column. */
  diagnostics?: Diagnostic[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }
}

export interface FlowSummary {
  tn: string;
  version: string;
  mode: "sync" | "async";
  updatedAt: string;
  size: number;
  description: string;
}

export type FlowMode = "sync" | "async";
export type ConditionMode = "evaluate" | "platform";

export interface FlowSettings {
  mode: FlowMode;
  timezone: string;
  description: string;
  variables: Record<string, string>;
  conditions: ConditionMode;
  parkTimeoutMs?: number;
}

export interface FlowVersion extends FlowSettings {
  tn: string;
  version: string;
  size: number;
  createdAt: string;
  current: boolean;
  updatedAt?: string;
  xml: string;
}

export interface HistoryEntry {
  version: string;
  at: string;
  size: number;
  action: "publish" | "rollback";
  current: boolean;
}

export interface PublishResult {
  tn: string;
  version: string;
  size: number;
  createdAt: string;
  mode: FlowMode;
  warnings?: Diagnostic[];
}

export interface PreviewRequest {
  from: string;
  to?: string;
  at?: string;
  version?: string;
  digits?: string;
}

export interface PreviewResult {
  xml: string;
  version: string;
  tn: string;
  at: string;
}

export interface PhoneToken {
  tn: string;
  call: string;
  /** Null when the server runs its platform routes open (a development server without WEBHOOK_TOKEN). */
  token: string | null;
  expiresAt: string | null;
}

/** Called when the server refuses the token, so the app can ask for a new one. */
let onUnauthorized: (problem: Problem) => void = () => {};
export function setUnauthorizedHandler(fn: (problem: Problem) => void): void {
  onUnauthorized = fn;
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === "object" && typeof body.title === "string") return { ...body, title: body.title, status: res.status };
  } catch {
    // not JSON
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, ...(text ? { detail: text.slice(0, 300) } : {}) };
}

export class Api {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, {
        ...init,
        headers: { authorization: `Bearer ${this.token}`, accept: "application/json", ...init.headers },
      });
    } catch (err) {
      throw new ApiError({ title: "Network error", status: 0, detail: `The server did not answer (${(err as Error).message}).` });
    }
    if (res.ok) return res;
    const problem = await problemOf(res);
    if (res.status === 401) onUnauthorized(problem);
    throw new ApiError(problem);
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(path, init);
    return (await res.json()) as T;
  }

  /** Every TN with a flow, following the cursor. */
  async listFlows(): Promise<FlowSummary[]> {
    const out: FlowSummary[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ limit: "1000", ...(cursor ? { cursor } : {}) });
      const page = await this.json<{ flows: FlowSummary[]; cursor?: string }>(`/v1/flows?${q}`);
      out.push(...page.flows);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  getFlow(tn: string, version?: string): Promise<FlowVersion> {
    const q = version ? `?version=${encodeURIComponent(version)}` : "";
    return this.json<FlowVersion>(`/v1/flows/${encodeURIComponent(tn)}${q}`);
  }

  publish(tn: string, xml: string, settings: FlowSettings): Promise<PublishResult> {
    return this.json<PublishResult>(`/v1/flows/${encodeURIComponent(tn)}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ xml, ...settings }),
    });
  }

  async deleteFlow(tn: string): Promise<void> {
    await this.request(`/v1/flows/${encodeURIComponent(tn)}`, { method: "DELETE" });
  }

  versions(tn: string): Promise<{ tn: string; current: string | null; versions: HistoryEntry[] }> {
    return this.json(`/v1/flows/${encodeURIComponent(tn)}/versions`);
  }

  rollback(tn: string, version: string): Promise<FlowVersion & { previous: string }> {
    return this.json(`/v1/flows/${encodeURIComponent(tn)}/rollback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version }),
    });
  }

  /** A short-lived token for the browser phone's calls to `tn` (docs/console.md, "The browser phone's token"). */
  phoneToken(tn: string, call: string): Promise<PhoneToken> {
    return this.json<PhoneToken>("/v1/phone/tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tn, call }),
    });
  }

  async preview(tn: string, body: PreviewRequest): Promise<PreviewResult> {
    const res = await this.request(`/v1/flows/${encodeURIComponent(tn)}/preview`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/xml, application/problem+json" },
      body: JSON.stringify(body),
    });
    return {
      xml: await res.text(),
      version: res.headers.get("x-tactflow-version") ?? "",
      tn: res.headers.get("x-tactflow-tn") ?? tn,
      at: res.headers.get("x-tactflow-at") ?? "",
    };
  }
}
