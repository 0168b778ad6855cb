// One kind of change announced by the state owner it happens in (the editor, the models), so the
// owners that depend on it (the preview, the document's autosave) react without being called by name.

export class Listeners<T> {
  readonly #listeners = new Set<(change: T) => void>();

  /** Calls `listener` with every change from now on; the returned function stops it. */
  listen(listener: (change: T) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(change: T): void {
    for (const listener of this.#listeners) listener(change);
  }
}
