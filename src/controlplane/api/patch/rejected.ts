/**
 * The error for a patch that decodes but cannot be applied. The apiserver answers these with
 * `NewGenericServerResponse(422)`: reason Invalid and a fixed message. We keep that message and add
 * the concrete reason as a cause, which kubectl prints after "The request is invalid: ".
 */
import { StatusError } from '../errors.js';

export function patchRejected(detail: string): StatusError {
  return new StatusError('Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ message: detail }],
  });
}
