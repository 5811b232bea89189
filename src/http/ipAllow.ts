/**
 * The optional source-address allow-list for platform-facing routes (`WEBHOOK_ALLOWED_IPS`):
 * comma- or space-separated IPv4/IPv6 addresses and CIDR ranges, matched against the address
 * Cloudflare saw (`cf-connecting-ip`). Opentact documents the address its webhooks come from
 * (docs/opentact.md §e).
 */

/** An address as a bigint and its bit width, or null when it is not one. */
function parseIp(text: string): { value: bigint; bits: 32 | 128 } | null {
  const t = text.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t)) {
    const parts = t.split(".").map(Number);
    if (parts.some((p) => p > 255)) return null;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), bits: 32 };
  }
  if (!t.includes(":") || !/^[0-9a-fA-F:.]+$/.test(t)) return null;
  let [head = "", tail] = t.split("::", 2) as [string, string | undefined];
  if (t.split("::").length > 2) return null;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = (s: string) => {
    const m = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
    if (!m) return s;
    const p = parseIp(m[1]!);
    if (!p) return s;
    const hi = Number(p.value >> 16n).toString(16);
    const lo = Number(p.value & 0xffffn).toString(16);
    return `${s.slice(0, -m[1]!.length)}${hi}:${lo}`;
  };
  head = v4(head);
  tail = tail === undefined ? undefined : v4(tail);
  const h = head ? head.split(":") : [];
  const tl = tail ? tail.split(":") : [];
  const missing = 8 - h.length - tl.length;
  if (tail === undefined ? h.length !== 8 : missing < 1) return null;
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...tl];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n), bits: 128 };
}

function inRange(range: string, ip: { value: bigint; bits: number }): boolean {
  const [addr = "", prefixText] = range.split("/", 2);
  const base = parseIp(addr);
  if (!base || base.bits !== ip.bits) return false;
  const prefix = prefixText === undefined ? base.bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > base.bits) return false;
  const shift = BigInt(base.bits - prefix);
  return base.value >> shift === ip.value >> shift;
}

/** Whether `ip` is in the allow-list `list`; an absent or unparsable address never is. */
export function ipAllowed(list: string, ip: string | null): boolean {
  if (!ip) return false;
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((range) => inRange(range, parsed));
}
