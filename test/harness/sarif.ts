/**
 * SARIF 2.1.0 schema validation for tests. The schema is the one Microsoft's SARIF SDK ships on npm
 * (@microsoft/jest-sarif: `sarif-2.1.0-rtm.5.json`, JSON Schema draft-04, the release candidate
 * OASIS approved as 2.1.0); no npm package ships the OASIS `sarif-schema-2.1.0.json` itself.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// both are CommonJS whose module.exports is the default export
const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as Record<string, unknown>;
// strict off: the schema uses draft-04 idioms; unicodeRegExp off: its language-tag pattern has a
// stray `]` that only the `u` flag refuses
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** The schema violations of a SARIF log ([] when it is valid SARIF 2.1.0), as `path: message` lines. */
export function sarifErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
