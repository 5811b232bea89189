/** A benchmark script's edges: its options, its progress lines, and what it records about the machine. */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import type { ParseArgsOptionsConfig } from "node:util";

type Values<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O }>>["values"];

export interface BenchCli<V> {
  /** The parsed options (`node:util` `parseArgs`, strict: unknown options throw). */
  args: V;
  /** The option as a whole number ≥ `min`; otherwise says so and exits 2. */
  num(name: keyof V & string, min: number): number;
  /** `bench:<name>: <message>` on stderr, then exit 2 (bad usage). */
  fail(message: string): never;
  /** `bench:<name>: <message>` on stderr (progress; stdout is for the table or the JSON). */
  log(message: string): void;
}

/**
 * Parse a benchmark's options. `echo: true` adds the refused value to `num`'s message
 * (`--rounds must be a whole number ≥ 1, not x`).
 */
export function cli<const O extends ParseArgsOptionsConfig>(bench: string, options: O, { echo = false } = {}): BenchCli<Values<O>> {
  const { values } = parseArgs({ options });
  const raw = values as Record<string, unknown>;
  const log = (message: string) => {
    process.stderr.write(`bench:${bench}: ${message}\n`);
  };
  const fail = (message: string): never => {
    log(message);
    process.exit(2);
  };
  const num = (name: string, min: number): number => {
    const n = Number(raw[name]);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}${echo ? `, not ${String(raw[name])}` : ""}`);
    return n;
  };
  return { args: values, num, fail, log };
}

/** Node's version and the CPU, as every benchmark records them. */
export function machine(): { node: string; cpu: string; cores: number } {
  return { node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length };
}

/** A plain-text table: the first row is the header, underlined; the first column left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(rows[0]!), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n");
}
