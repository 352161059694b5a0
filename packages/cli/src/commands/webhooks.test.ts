import { EVENT_TYPES } from '@paperboy/pipeline';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_NAMES } from './specs.js';

describe('webhooks --help', () => {
  it('names every event type (written out so --help loads no package code)', () => {
    expect(EVENT_TYPE_NAMES.split(', ')).toEqual(EVENT_TYPES);
  });
});
