// The one error shape that crosses process boundaries: a stable code, a human message that names
// the file and the problem, and optional details (e.g. a stderr tail) for a "more" disclosure.

export interface StudioErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly details?: string;
}

export class StudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StudioErrorInfo };

/** Any thrown value as an error record; codes of StudioError and Node's errno errors are kept. */
export function toErrorInfo(err: unknown): StudioErrorInfo {
  if (err instanceof StudioError) return err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'internal', message: err.message };
  }
  return { code: 'internal', message: String(err) };
}
