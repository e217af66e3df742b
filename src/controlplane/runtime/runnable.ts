/**
 * Every long-lived component (API server, controller manager, scheduler, node agent, sync) is a
 * `Runnable`; one `Manager` starts them in order and stops them in reverse, so `berth up` and the
 * single-component commands share one lifecycle.
 */
import { setMaxListeners } from 'node:events';

/**
 * Contract: `start` returns once the component is working (e.g. its caches synced) and keeps it
 * running in the background until `signal` aborts; it then stops and resolves the promise returned
 * by `stopped()`. A component that fails after start reports through `onError` of the manager.
 */
export interface Runnable {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
  /** resolves when the component has fully stopped after its signal aborted */
  stopped(): Promise<void>;
}

export class Manager {
  private readonly started: { r: Runnable; ac: AbortController }[] = [];

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Starts `r` now; if it throws, nothing is left half-started by it. */
  async add(r: Runnable): Promise<void> {
    const ac = new AbortController();
    // A component hangs one listener per informer and watch on its signal; dozens are normal.
    setMaxListeners(0, ac.signal);
    await r.start(ac.signal);
    this.started.push({ r, ac });
    this.log(`${r.name} started`);
  }

  /** Stops every component, the last started first. */
  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const { r, ac } = this.started.pop()!;
      ac.abort();
      await r.stopped();
      this.log(`${r.name} stopped`);
    }
  }
}
