/**
 * Bounded concurrency for the API calls of a sync: thousands of dry runs, applies and health reads
 * one after another leave the API server idle between round trips; all at once would swamp it.
 */

/** Calls `fn` on every item, at most `limit` at a time; results in input order. Rejects with the first error after the calls in flight settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failed) throw failed.error;
  return out;
}
