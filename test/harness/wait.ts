/**
 * Polling for a condition in integration tests, with a generous deadline so a slow, loaded machine
 * only makes a test slower, never wrong. (test/controllers/helpers.ts' waitUntil is the watch-driven
 * form for API objects; this one is for anything a test can look at: logs, kubectl, processes.)
 */

/**
 * Calls `check` until it returns something other than `undefined` or `false`, and returns that. A
 * throw counts as "not yet" (the last one is named in the timeout error). Fails after `ms`.
 */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
