/**
 * Validation entry points for the API layer: `validateSchema` (JSON types, required fields and
 * formats against the kind's schema), `checkSchema` (the same plus unknown fields, which
 * `fieldValidation=Strict` rejects and `Warn` reports), and `validateObject`, which runs the schema
 * and the kind's semantic checks together.
 */
import type { StatusCause } from '../api/errors.js';
import type { KubeObject, ResourceType, SchemaNode } from './types.js';
import { checkSchema } from './validation/schema.js';

export { checkSchema, type SchemaCheck } from './validation/schema.js';

/** Structural errors of `obj` under `schema` (unknown fields are not errors here). */
export function validateSchema(obj: unknown, schema: SchemaNode): StatusCause[] {
  return checkSchema(obj, schema).causes;
}

/** Schema and semantic validation of an object of `type`; `old` on update. */
export function validateObject(type: ResourceType, obj: KubeObject, old?: KubeObject): { causes: StatusCause[]; unknownFields: string[] } {
  const structural = checkSchema(obj, type.schema());
  if (structural.causes.length > 0) return structural;
  return { causes: type.validate(obj, old), unknownFields: structural.unknownFields };
}
