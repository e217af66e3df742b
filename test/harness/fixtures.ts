/**
 * Where the shared test data is: `../shared` beside the repository (as on the team's machines and
 * in CI's fresh clones).
 */
import { join } from 'node:path';

export const SHARED_DIR = join(import.meta.dirname, '../../../shared');
export const SEED_MANIFESTS = join(SHARED_DIR, 'fixtures/seed-manifests');
