/**
 * Typed API errors. Every failure a client can see is a `StatusError` carrying the Kubernetes
 * `Status` reason and HTTP code, so one place (`toStatus`) turns it into the body kubectl prints as
 * `Error from server (<reason>): <message>`.
 */

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'Gone'
  | 'Expired'
  | 'Timeout'
  | 'InternalError'
  | 'ServiceUnavailable';

export const REASON_CODES: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  Gone: 410,
  Expired: 410,
  Timeout: 504,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** One cause of an Invalid (or Conflict) error: `field` is a path such as `spec.containers[0].name`. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The `Status` object Kubernetes returns for every failed request. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details?: StatusDetails;

  constructor(reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.reason = reason;
    this.code = REASON_CODES[reason];
    this.details = details;
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** Identifies an object in error messages the way the apiserver does: `deployments.apps "web"`. */
export interface ObjectRef {
  /** plural resource name, e.g. `deployments` */
  resource: string;
  /** API group, '' for core */
  group: string;
  /** Kind, for `details.kind` (Kubernetes puts the resource there) */
  name?: string;
}

function qualified(ref: ObjectRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

function detailsOf(ref: ObjectRef): StatusDetails {
  const d: StatusDetails = { kind: ref.resource };
  if (ref.group) d.group = ref.group;
  if (ref.name !== undefined) d.name = ref.name;
  return d;
}

export const errors = {
  notFound(ref: ObjectRef): StatusError {
    return new StatusError('NotFound', `${qualified(ref)} "${ref.name ?? ''}" not found`, detailsOf(ref));
  },
  alreadyExists(ref: ObjectRef): StatusError {
    return new StatusError('AlreadyExists', `${qualified(ref)} "${ref.name ?? ''}" already exists`, detailsOf(ref));
  },
  conflict(ref: ObjectRef, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
    return new StatusError('Conflict', `Operation cannot be fulfilled on ${qualified(ref)} "${ref.name ?? ''}": ${why}`, detailsOf(ref));
  },
  /** 422 with one cause per bad field; `kind` is the Kind (e.g. `Pod`), as in `Pod "x" is invalid: ...`. */
  invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    const d: StatusDetails = { name, kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })) };
    if (group) d.group = group;
    return new StatusError('Invalid', `${kind} "${name}" is invalid: ${body}`, d);
  },
  badRequest(message: string): StatusError {
    return new StatusError('BadRequest', message);
  },
  methodNotAllowed(message: string): StatusError {
    return new StatusError('MethodNotAllowed', message);
  },
  unsupportedMediaType(contentType: string): StatusError {
    return new StatusError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType || 'none'})`);
  },
  expired(message: string): StatusError {
    return new StatusError('Expired', message);
  },
  gone(message: string): StatusError {
    return new StatusError('Gone', message);
  },
  unauthorized(message = 'Unauthorized'): StatusError {
    return new StatusError('Unauthorized', message);
  },
  forbidden(message: string): StatusError {
    return new StatusError('Forbidden', message);
  },
  tooLarge(message: string): StatusError {
    return new StatusError('RequestEntityTooLarge', message);
  },
  internal(message: string): StatusError {
    return new StatusError('InternalError', `Internal error occurred: ${message}`);
  },
};

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

/** Any thrown value as a StatusError: unknown errors become 500 InternalError. */
export function asStatusError(e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return errors.internal(msg);
}
