/**
 * Errors of the Git source, each with a code the Application's conditions show, so a user can tell
 * an unreachable repository from bad credentials, a missing revision or a path that escapes.
 */

export type GitErrorCode = 'Unreachable' | 'AuthFailed' | 'RevisionNotFound' | 'PathNotFound' | 'PathEscapes' | 'InvalidPath';

export class GitSourceError extends Error {
  constructor(
    readonly code: GitErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GitSourceError';
  }
}
