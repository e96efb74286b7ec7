/**
 * Throughput limit in segments per second. The bucket holds at most a tenth of a second's
 * worth of tokens (at least one), so a burst after a quiet spell stays small and any one
 * second carries at most about 1.1 x the rate: carriers count per second and throttle above.
 * Time is passed in (milliseconds, monotonic) so the arithmetic is testable.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly capacity: number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, now: number) {
    this.ratePerSecond = ratePerSecond;
    this.capacity = Math.max(1, Math.ceil(ratePerSecond / 10));
    this.#tokens = this.capacity;
    this.#last = now;
  }

  /** Takes a token and returns 0, or returns the milliseconds until a token is due. */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }
}
