import { describe, expect, it } from 'vitest';
import { cleanText, stem, tokenize } from './text.js';

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter or digit', () => {
    expect(tokenize('Vision-Language Models (VLMs), e.g. GPT-4o!')).toEqual([
      'vision',
      'language',
      'models',
      'vlms',
      'e',
      'g',
      'gpt',
      '4o',
    ]);
  });

  it('drops HTML tags and entities', () => {
    expect(tokenize('<p>Graph <b>neural</b> networks &amp; <i>GNNs</i></p>')).toEqual([
      'graph',
      'neural',
      'networks',
      'gnns',
    ]);
  });

  it('drops TeX command names but keeps their arguments', () => {
    expect(tokenize(String.raw`\textbf{A}uto\textbf{M}asked attention with $\mathcal{O}(n)$ cost`)).toEqual([
      'automasked',
      'attention',
      'with',
      'o',
      'n',
      'cost',
    ]);
  });

  it('keeps non-Latin letters and never throws on odd input', () => {
    expect(tokenize('Σ-Mem: β-OPSD')).toEqual(['σ', 'mem', 'β', 'opsd']);
    expect(tokenize('')).toEqual([]);
    expect(tokenize('$$ {} \\ <> &;')).toEqual([]);
    expect(cleanText('<script>alert(1)</script>')).not.toContain('<script>');
  });
});

describe('stem', () => {
  const same = (...words: string[]) => {
    const stems = new Set(words.map(stem));
    expect(stems.size, `${words.join(', ')} -> ${[...stems].join(', ')}`).toBe(1);
  };

  it('folds plurals', () => {
    same('graph', 'graphs');
    same('study', 'studies');
    same('search', 'searches');
    same('loss', 'losses');
    same('image', 'images');
    same('bias', 'biases');
    same('process', 'processes');
  });

  it('folds -ing and -ed forms', () => {
    same('embedding', 'embeddings', 'embedded');
    same('model', 'modeling', 'modelling', 'modeled');
    same('encode', 'encoded', 'encoding');
    same('plan', 'planned', 'planning');
  });

  it('leaves short words and non-plurals alone', () => {
    expect(stem('gnn')).toBe('gnn');
    expect(stem('nas')).toBe('nas');
    expect(stem('corpus')).toBe('corpus');
    expect(stem('analysis')).toBe('analysis');
    expect(stem('class')).toBe('class');
  });
});
