/**
 * Bounds the values one Prometheus label takes. Every distinct label value is a time series kept for the life of the
 * process (and of Prometheus's retention), and some values come from outside the server's code: client ids, metric
 * names a trainer reports, failure causes a user's strategy invents. The first `max` values keep their name; later
 * ones share `OTHER`, so a run with 10,000 clients or a trainer with odd metric names cannot blow up the scrape.
 */
export const OTHER = 'other';

export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** `value` while fewer than `max` values are in use (or it already is one), else `OTHER`. */
  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}
