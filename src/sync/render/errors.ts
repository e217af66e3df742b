/**
 * The one error rendering throws: where (file, line, column) and what to do about it, so a bad
 * commit is reported as `file:line:column: message` and the last good state keeps running.
 */

/** A render failure pointing at the file (and, when known, the line and column) to fix. */
export class RenderError extends Error {
  override readonly name = 'RenderError';
  /** path relative to the repository root */
  readonly file: string;
  /** 1-based; 0 when the whole file is meant */
  readonly line: number;
  /** 1-based; 0 when unknown */
  readonly column: number;
  /** what the user should change */
  readonly hint: string;

  constructor(detail: { file: string; line?: number; column?: number; message: string; hint: string }) {
    const at = [detail.file, detail.line || undefined, detail.line && detail.column ? detail.column : undefined].filter((p) => p !== undefined).join(':');
    super(`${at}: ${detail.message} (${detail.hint})`);
    this.file = detail.file;
    this.line = detail.line ?? 0;
    this.column = detail.column ?? 0;
    this.hint = detail.hint;
  }
}
