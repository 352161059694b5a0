import { describe, expect, it } from 'vitest';
import { createPage } from './page.js';

describe('createPage', () => {
  it('keeps url, body and content type', () => {
    const page = createPage('https://arxiv.org/list/cs.LG/new', '<p>x</p>', 'text/html');
    expect(page).toMatchObject({ url: 'https://arxiv.org/list/cs.LG/new', body: '<p>x</p>', contentType: 'text/html' });
    expect('contentType' in createPage('https://a.test/', '')).toBe(false);
  });

  it('parses HTML once, on first use', () => {
    const page = createPage('https://a.test/', "<dl id='articles'><dt>1</dt></dl>");
    const $ = page.$();
    expect(page.$()).toBe($);
    expect($('dl#articles dt').text()).toBe('1');
  });

  it('uses the htmlparser2 backend with HTML rules', () => {
    // parse5 would wrap a fragment in <html><head><body>; htmlparser2 does not.
    const $ = createPage('https://a.test/', '<p>a<br>b &amp; c</p><P>d').$();
    expect($('html').length).toBe(0);
    expect($('p').length).toBe(2); // tag names are case-insensitive: not XML mode
    expect($('br').length).toBe(1);
    expect($('p').first().text()).toBe('ab & c');
  });

  it('parses JSON once and throws SyntaxError for a body that is not JSON', () => {
    const page = createPage('https://a.test/', '[{"paper":{"id":"1"}}]');
    expect(page.json()).toBe(page.json());
    const broken = createPage('https://a.test/', '[{"paper":');
    expect(() => broken.json()).toThrow(SyntaxError);
    expect(() => broken.json()).toThrow(SyntaxError);
  });
});
