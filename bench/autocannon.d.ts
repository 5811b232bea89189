// The part of autocannon's programmatic API the benchmarks use (the package ships no types).
declare module "autocannon" {
  interface Histogram {
    average: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  }
  interface Result {
    requests: Histogram & { total: number };
    latency: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Requests in turn; `setupRequest` may rewrite each one before it is sent (e.g. a fresh path). */
    requests?: Array<{
      method?: string;
      path?: string;
      setupRequest?: (req: { method?: string; path?: string }) => { method?: string; path?: string };
    }>;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
