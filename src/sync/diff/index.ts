/** The diff module's public surface: drift of one object from its manifest. */
export { diff, predict, SYNC_FIELD_MANAGER, type DiffOptions, type DiffResult } from './diff.js';
export type { FieldDiff } from './field-diff.js';
export type { IgnoreDifference } from './normalize.js';
export { unifiedYamlDiff } from './unified.js';
