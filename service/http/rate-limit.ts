/**
 * Per-key token buckets: `ratePerSecond` sustained, `burst` at once. Pure arithmetic on a clock
 * passed in, so tests drive time.
 */
export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one token for `key` at time `now` (ms); returns 0 when allowed, else ms to wait. */
  take(key: string, now: number): number {
    const { ratePerSecond, burst } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000);
  }
}
