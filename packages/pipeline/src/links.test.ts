import { describe, expect, it } from 'vitest';
import { paperLinks, storedPaperLinks } from './links.js';

describe('paperLinks', () => {
  it('gives arXiv abstract and PDF from the id without version, the Hugging Face page and discussion, code and project page', () => {
    expect(
      paperLinks({
        arxivId: '2606.13392v2',
        url: 'https://huggingface.co/papers/2606.13392',
        codeUrl: 'https://github.com/MiniMax-AI/MSA',
        codeStars: 251,
        projectPage: 'https://minimax-ai.github.io/msa/',
      }),
    ).toEqual({
      paper: 'https://arxiv.org/abs/2606.13392',
      abstract: 'https://arxiv.org/abs/2606.13392',
      pdf: 'https://arxiv.org/pdf/2606.13392',
      huggingFace: 'https://huggingface.co/papers/2606.13392',
      discussion: 'https://huggingface.co/papers/2606.13392#community',
      code: 'https://github.com/MiniMax-AI/MSA',
      codeStars: 251,
      projectPage: 'https://minimax-ai.github.io/msa/',
      seenAt: null,
    });
  });

  it("keeps a listing's own URL as where the paper was seen, never as the paper's link when it has an arXiv id", () => {
    const links = paperLinks({ arxivId: '2606.13392', url: 'http://127.0.0.1:8080/papers/1' });
    expect(links.paper).toBe('https://arxiv.org/abs/2606.13392');
    expect(links.seenAt).toBe('http://127.0.0.1:8080/papers/1');
    // Not known on Hugging Face: no page invented there.
    expect(links.huggingFace).toBeNull();
    expect(links.discussion).toBeNull();
    expect(paperLinks({ arxivId: '2606.13392', url: 'http://127.0.0.1:8080/x', onHuggingFace: true }).huggingFace).toBe(
      'https://huggingface.co/papers/2606.13392',
    );
  });

  it("treats arXiv's own pages of the paper (any version) as canonical, not as where it was seen", () => {
    for (const url of [
      'https://arxiv.org/abs/2606.13392v3',
      'https://arxiv.org/abs/2606.13392',
      'https://arxiv.org/pdf/2606.13392',
    ]) {
      expect(paperLinks({ arxivId: '2606.13392', url }).seenAt, url).toBeNull();
    }
    expect(paperLinks({ arxivId: '2606.13392', url: 'https://arxiv.org/abs/2606.99999' }).seenAt).toBe(
      'https://arxiv.org/abs/2606.99999',
    );
  });

  it('old-style ids: arXiv links, no Hugging Face page', () => {
    expect(paperLinks({ arxivId: 'hep-th/9901001v2', onHuggingFace: true })).toMatchObject({
      paper: 'https://arxiv.org/abs/hep-th/9901001',
      pdf: 'https://arxiv.org/pdf/hep-th/9901001',
      huggingFace: null,
    });
  });

  it('a paper without an arXiv id: its stored link is its link', () => {
    expect(paperLinks({ url: 'https://example.org/paper/7', arxivId: null })).toMatchObject({
      paper: 'https://example.org/paper/7',
      abstract: null,
      pdf: null,
      seenAt: 'https://example.org/paper/7',
    });
    expect(paperLinks({})).toMatchObject({ paper: null, seenAt: null, code: null });
  });

  it('drops links that are not http(s) or not URLs, and stars without code', () => {
    expect(
      paperLinks({
        arxivId: 'not an id',
        url: 'javascript:alert(1)',
        codeUrl: 'data:text/html,x',
        codeStars: 5,
        projectPage: 'no url',
      }),
    ).toEqual({
      paper: null,
      abstract: null,
      pdf: null,
      huggingFace: null,
      discussion: null,
      code: null,
      codeStars: null,
      projectPage: null,
      seenAt: null,
    });
  });
});

describe('storedPaperLinks', () => {
  const stored = {
    arxivId: '2606.13392v2',
    url: 'http://127.0.0.1:8080/papers/1',
    codeUrl: 'https://github.com/org/repo',
    codeStars: 42,
    projectPage: null,
    aiSummary: null,
    submittedBy: null,
  };
  it('has Hugging Face links only when the paper has what Hugging Face gives (or its stored link is there)', () => {
    expect(storedPaperLinks(stored)).toMatchObject({
      paper: 'https://arxiv.org/abs/2606.13392',
      huggingFace: null,
      code: 'https://github.com/org/repo',
      codeStars: 42,
      seenAt: 'http://127.0.0.1:8080/papers/1',
    });
    expect(storedPaperLinks({ ...stored, aiSummary: 'A summary.' }).discussion).toBe(
      'https://huggingface.co/papers/2606.13392#community',
    );
    expect(storedPaperLinks({ ...stored, submittedBy: 'someone' }).huggingFace).toBe(
      'https://huggingface.co/papers/2606.13392',
    );
    expect(storedPaperLinks({ ...stored, url: 'https://huggingface.co/papers/2606.13392' })).toMatchObject({
      huggingFace: 'https://huggingface.co/papers/2606.13392',
      seenAt: null,
    });
  });
});
