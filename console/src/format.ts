/** Display helpers: numbers, times, sizes and version ids as a person reads them. */

/** `18005550100` → `+1 800 555 0100`; other lengths as `+` and digits; `*` as "catch-all". */
export function formatTn(tn: string): string {
  if (tn === "*") return "* (catch-all)";
  const m = /^1(\d{3})(\d{3})(\d{4})$/.exec(tn);
  if (m) return `+1 ${m[1]} ${m[2]} ${m[3]}`;
  return /^\d+$/.test(tn) ? `+${tn}` : tn;
}

/** The digits of what a person typed into a number search (spaces, dashes and + ignored). */
export function digitsOf(s: string): string {
  return s.replace(/\D/g, "");
}

export function shortVersion(v: string): string {
  return v.slice(0, 12);
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "just now", "5 minutes ago", "3 days ago". */
export function relativeTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "—";
  const diff = t - now;
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, ms] of units) if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  return "just now";
}

/** A full local date and time, for titles and tables. */
export function absoluteTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  return new Date(t).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
}
