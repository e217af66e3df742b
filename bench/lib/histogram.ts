/**
 * A fixed-size latency histogram (log buckets, 2 % wide) so a phase of millions of requests costs
 * a few KB and percentiles are exact to within a bucket. Histograms merge and cross thread
 * boundaries as plain arrays, which the watch phase needs to collect its watchers' figures.
 */

const MIN_MS = 0.001;
const MAX_MS = 120_000;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;

export interface HistogramData {
  counts: number[];
  count: number;
  sum: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const v = Math.min(Math.max(ms, MIN_MS), MAX_MS);
    this.counts[Math.floor(Math.log(v / MIN_MS) / LOG_GROWTH)]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** the latency below which `p` percent of the samples fall (bucket midpoint); NaN when empty */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(MIN_MS * GROWTH ** (i + 0.5), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  merge(other: Histogram | HistogramData): void {
    const counts = other instanceof Histogram ? other.counts : other.counts;
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += counts[i] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  toData(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, sum: this.sum, max: this.max };
  }

  static fromData(d: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(d);
    return h;
  }
}
