/**
 * A query the parser refuses. `position` is the 0-based offset (a JS string index) to point at;
 * `reason` is the message without the position, for inline display next to the caret.
 */
export class QuerySyntaxError extends Error {
  readonly code = 'QUERY_SYNTAX';
  readonly reason: string;
  readonly position: number;
  constructor(reason: string, position: number) {
    super(`${reason} at ${position}`);
    this.name = 'QuerySyntaxError';
    this.reason = reason;
    this.position = position;
  }
}
