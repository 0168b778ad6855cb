// What the studio tells the user: one status line (the latest thing that happened, in the status
// bar) and error notices that stay until dismissed, each with its details (e.g. ffmpeg's output).

export interface Notice {
  readonly id: number;
  readonly message: string;
  readonly details?: string;
}

/** Notices shown at once at most; the oldest gives way to a new one. */
export const MAX_NOTICES = 4;

export class Notices {
  status = $state('Ready');
  list = $state.raw<readonly Notice[]>([]);
  #lastId = 0;

  say(status: string): void {
    this.status = status;
  }

  fail(error: { readonly message: string; readonly details?: string }): void {
    // The same error again (a render failing on every scrub step) would only bury the others.
    if (this.list.at(-1)?.message === error.message) return;
    const notice = { id: ++this.#lastId, message: error.message, ...(error.details ? { details: error.details } : {}) };
    this.list = [...this.list.slice(-(MAX_NOTICES - 1)), notice];
  }

  /** A standing condition (a face the model cannot warp): shown once while it is in the list. */
  warn(message: string): void {
    if (this.list.some((n) => n.message === message)) return;
    this.fail({ message });
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
  }
}
