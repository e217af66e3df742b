/** The Application's health: the worst of its resources' (Argo CD's roll-up). Pure. */
import type { HealthStatus } from './types.js';

const SEVERITY: Record<HealthStatus, number> = { Healthy: 0, Suspended: 1, Progressing: 2, Unknown: 3, Missing: 4, Degraded: 5 };

export function worstHealth(all: (HealthStatus | undefined)[]): HealthStatus {
  let worst: HealthStatus = 'Healthy';
  for (const h of all) if (h && SEVERITY[h] > SEVERITY[worst]) worst = h;
  return worst;
}
