// The models the studio can render with, as main lists them (one of them active), and importing,
// choosing and removing one. A change of the active model is announced, so the preview re-renders.
import type { ModelEntry, StudioApi } from '../../../shared/api';
import type { Result } from '../../../shared/errors';
import { fileBase64 } from './files';
import { Listeners } from './listeners';
import type { Notices } from './notices.svelte';

export class Models {
  list = $state.raw<readonly ModelEntry[]>([]);
  readonly active = $derived(this.list.find((m) => m.active) ?? null);
  readonly activeId = $derived(this.active?.id ?? null);
  /** After every import, use or remove that main accepted. */
  readonly changes = new Listeners<void>();
  readonly #api: StudioApi | null;
  readonly #notices: Notices;

  constructor(api: StudioApi | null, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  async load(): Promise<void> {
    const r = await this.#api?.['models.list']({});
    if (r?.ok) this.list = r.value;
    else if (r) this.#notices.fail(r.error);
  }

  /** Imports an .onnx model or an original .pth checkpoint; main makes it the active one. */
  async import(file: File): Promise<void> {
    const api = this.#api;
    if (!api) return;
    this.#notices.say(`Importing ${file.name}…`);
    const r = await api['models.import']({ name: file.name, dataBase64: await fileBase64(file) });
    if (this.#take(r)) this.#notices.say(`Model ${file.name} imported and in use`);
    else this.#notices.say(`${file.name} was not imported`);
  }

  async use(id: string): Promise<void> {
    const r = await this.#api?.['models.use']({ id });
    if (r) this.#take(r);
  }

  async remove(id: string): Promise<void> {
    const r = await this.#api?.['models.remove']({ id });
    if (r && this.#take(r)) this.#notices.say('Model removed');
  }

  /** Takes main's new list, or reports why there is none. */
  #take(r: Result<ModelEntry[]>): boolean {
    if (!r.ok) {
      this.#notices.fail(r.error);
      return false;
    }
    this.list = r.value;
    this.changes.emit();
    return true;
  }
}
