/**
 * Traffic limits (9.3): the MSE caps transactions per user and service over time. One token bucket per
 * profile and service: `burst` tokens at most, refilled at `perSecond`; a request finding it empty is refused.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly now: () => number) {}

  take(key: string, rate: { perSecond: number; burst: number }): boolean {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rate.burst, at: t };
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((t - bucket.at) / 1000) * rate.perSecond);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
