// Files the user picks in the page, as the operation table carries them (base64 text).

/** A picked file's bytes as base64, converted in slices (one spread of a large file overflows the stack). */
export async function fileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
