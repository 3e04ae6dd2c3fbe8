/**
 * The service's own metrics in Prometheus text format (version 0.0.4): request counts by route
 * and status, and a latency histogram by route. Counters only grow; nothing here allocates per
 * request beyond the first sighting of a label set.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServiceMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private readonly gauges = new Map<string, () => number>();
  private readonly counters = new Map<string, number>();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hKey = `method="${method}",route="${route}"`;
    let h = this.latency.get(hKey);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(hKey, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** Adds to a named counter (e.g. `sluice_ingest_points_total`). */
  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** Registers a gauge read at scrape time. */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  render(): string {
    const lines: string[] = [];
    lines.push('# HELP sluice_http_requests_total HTTP requests by method, route and status.', '# TYPE sluice_http_requests_total counter');
    for (const [labels, n] of this.requests) lines.push(`sluice_http_requests_total{${labels}} ${n}`);
    lines.push('# HELP sluice_http_request_duration_seconds HTTP request latency.', '# TYPE sluice_http_request_duration_seconds histogram');
    for (const [labels, h] of this.latency) {
      BUCKETS.forEach((le, i) => lines.push(`sluice_http_request_duration_seconds_bucket{${labels},le="${le}"} ${h.buckets[i]}`));
      lines.push(`sluice_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      lines.push(`sluice_http_request_duration_seconds_sum{${labels}} ${h.sum}`);
      lines.push(`sluice_http_request_duration_seconds_count{${labels}} ${h.count}`);
    }
    for (const [name, n] of this.counters) lines.push(`# TYPE ${name} counter`, `${name} ${n}`);
    for (const [name, read] of this.gauges) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    return `${lines.join('\n')}\n`;
  }
}
