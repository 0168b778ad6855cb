import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from './markdown';

describe('parseMarkdown', () => {
  it('reads a model card: headings, list, paragraph and an aligned table', () => {
    const card = ['# GANimation generator (light preset)', '', '- Training: 8000 steps', '- Time: 1.9 h', '', 'Measured with', '`ganimation eval`.', '', '| term | value |', '|---|---:|', '| D/gp | 0.045 |', '|   r AU01 | 0.3 |', ''].join('\n');
    expect(parseMarkdown(card)).toEqual([
      { kind: 'heading', level: 1, spans: [{ text: 'GANimation generator (light preset)' }] },
      { kind: 'list', items: [[{ text: 'Training: 8000 steps' }], [{ text: 'Time: 1.9 h' }]] },
      { kind: 'paragraph', spans: [{ text: 'Measured with ' }, { text: 'ganimation eval', code: true }, { text: '.' }] },
      { kind: 'table', header: [[{ text: 'term' }], [{ text: 'value' }]], align: ['left', 'right'], rows: [[[{ text: 'D/gp' }], [{ text: '0.045' }]], [[{ text: '  r AU01' }], [{ text: '0.3' }]]] },
    ]);
  });

  it('keeps markup as text: nothing in a card can become an element', () => {
    expect(parseMarkdown('<img src=x onerror=alert(1)> **<b>**')).toEqual([{ kind: 'paragraph', spans: [{ text: '<img src=x onerror=alert(1)> ' }, { text: '<b>', bold: true }] }]);
  });

  it('treats a pipe line without a divider as a paragraph', () => {
    expect(parseMarkdown('| a | b |')).toEqual([{ kind: 'paragraph', spans: [{ text: '| a | b |' }] }]);
  });
});

describe('parseInline', () => {
  it('leaves bold markers inside code literal', () => {
    expect(parseInline('`**x**` and **y**')).toEqual([{ text: '**x**', code: true }, { text: ' and ' }, { text: 'y', bold: true }]);
  });
});
