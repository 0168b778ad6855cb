// Parses AU lists such as "AU12=0.8,AU06=0.5" into a 17-vector, naming any unknown AU or bad value.
import { AU_COUNT, AU_ORDER } from '../../shared/aus';
import { UsageError } from './args';

export function parseAus(text: string, base?: Float32Array): Float32Array {
  const aus = base ? Float32Array.from(base) : new Float32Array(AU_COUNT);
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [rawName, rawValue] = part.split('=');
    const name = rawName.toUpperCase().replace(/^AU(\d)$/, 'AU0$1');
    const index = (AU_ORDER as readonly string[]).indexOf(name);
    if (index < 0) throw new UsageError(`unknown action unit "${rawName}"; valid: ${AU_ORDER.join(' ')}`);
    const value = Number(rawValue);
    if (rawValue === undefined || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new UsageError(`${name} needs a value in [0, 1] (intensity / 5), got "${rawValue ?? ''}"`);
    }
    aus[index] = value;
  }
  return aus;
}
