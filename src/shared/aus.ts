// The 17 Action Units GANimation is conditioned on: order, FACS names and face regions. Pure data
// shared by the renderer and the ML core.

export const AU_ORDER = [
  'AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12',
  'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26', 'AU45',
] as const;
export type AuName = (typeof AU_ORDER)[number];
/** How many AUs a face's vector holds (17): every AU vector, tensor and schema is sized by this. */
export const AU_COUNT = AU_ORDER.length;

export const AU_NAMES: Readonly<Record<AuName, string>> = {
  AU01: 'Inner brow raiser',
  AU02: 'Outer brow raiser',
  AU04: 'Brow lowerer',
  AU05: 'Upper lid raiser',
  AU06: 'Cheek raiser',
  AU07: 'Lid tightener',
  AU09: 'Nose wrinkler',
  AU10: 'Upper lip raiser',
  AU12: 'Lip corner puller',
  AU14: 'Dimpler',
  AU15: 'Lip corner depressor',
  AU17: 'Chin raiser',
  AU20: 'Lip stretcher',
  AU23: 'Lip tightener',
  AU25: 'Lips part',
  AU26: 'Jaw drop',
  AU45: 'Blink',
};

export const AU_REGIONS: readonly { readonly region: string; readonly aus: readonly AuName[] }[] = [
  { region: 'Brows', aus: ['AU01', 'AU02', 'AU04'] },
  { region: 'Eyes', aus: ['AU05', 'AU06', 'AU07', 'AU45'] },
  { region: 'Nose', aus: ['AU09'] },
  { region: 'Mouth', aus: ['AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26'] },
];
