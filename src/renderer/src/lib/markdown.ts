// The small part of Markdown that model cards use (headings, paragraphs, bullet lists, pipe tables,
// **bold** and `code`), parsed into blocks that Svelte renders as elements. Never HTML strings: a
// model card comes from whatever .onnx file the user imported, so nothing in it may become markup.

export interface Span {
  readonly text: string;
  readonly bold?: boolean;
  readonly code?: boolean;
}

export type Block =
  | { readonly kind: 'heading'; readonly level: number; readonly spans: readonly Span[] }
  | { readonly kind: 'paragraph'; readonly spans: readonly Span[] }
  | { readonly kind: 'list'; readonly items: readonly (readonly Span[])[] }
  | { readonly kind: 'table'; readonly header: readonly (readonly Span[])[]; readonly rows: readonly (readonly (readonly Span[])[])[]; readonly align: readonly ('left' | 'right' | 'center')[] };

/** `code` first (its content stays literal), then **bold** in the rest. */
export function parseInline(text: string): Span[] {
  const spans: Span[] = [];
  text.split(/(`[^`]*`)/).forEach((part, i) => {
    if (!part) return;
    if (i % 2 === 1) {
      spans.push({ text: part.slice(1, -1), code: true });
      return;
    }
    part.split(/(\*\*[^*]+\*\*)/).forEach((piece, j) => {
      if (!piece) return;
      spans.push(j % 2 === 1 ? { text: piece.slice(2, -2), bold: true } : { text: piece });
    });
  });
  return spans;
}

/** A table row's cells; spaces beyond the one after a pipe are kept (cards indent sub-rows with them). */
const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.replace(/^ /, '').trimEnd());
const isDivider = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', spans: parseInline(paragraph.join(' ')) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!line.trim()) {
      flush();
    } else if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1].length, spans: parseInline(heading[2].trim()) });
    } else if (/^\s*[-*]\s+/.test(line)) {
      flush();
      const items: Span[][] = [];
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]); i++) items.push(parseInline(lines[i].replace(/^\s*[-*]\s+/, '')));
      i--;
      blocks.push({ kind: 'list', items });
    } else if (line.trim().startsWith('|') && i + 1 < lines.length && isDivider(lines[i + 1])) {
      flush();
      const header = cells(line);
      const align = cells(lines[i + 1]).map((cell) => {
        const d = cell.trim();
        return d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : 'left';
      });
      const rows: Span[][][] = [];
      for (i += 2; i < lines.length && lines[i].trim().startsWith('|'); i++) rows.push(cells(lines[i]).map(parseInline));
      i--;
      blocks.push({ kind: 'table', header: header.map(parseInline), rows, align });
    } else {
      paragraph.push(line.trim());
    }
  }
  flush();
  return blocks;
}
