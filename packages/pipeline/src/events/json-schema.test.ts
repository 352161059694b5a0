import { describe, expect, it } from 'vitest';
import { eventExamples } from './examples.js';
import { eventJsonSchema, eventSchemaFile, eventSchemaName, typedEventSchema } from './json-schema.js';
import { EVENT_TYPES, eventTypes } from './schemas.js';

describe('event contract', () => {
  it('names each type and version, and gives each a file of its own', () => {
    expect(eventSchemaName('paper.created')).toBe('EventPaperCreatedV1');
    expect(eventSchemaName('source.health_changed', 2)).toBe('EventSourceHealthChangedV2');
    expect(eventSchemaFile('digest.period_sent')).toBe('docs/reference/events/digest.period_sent.v1.schema.json');
    expect(new Set(EVENT_TYPES.map((t) => eventSchemaName(t))).size).toBe(EVENT_TYPES.length);
  });

  it("has an example of every type that its schema accepts, and the typed envelope refuses another type's data", () => {
    for (const type of EVENT_TYPES) {
      const event = {
        id: crypto.randomUUID(),
        type,
        version: eventTypes[type].version,
        occurredAt: '2026-12-07T08:00:00Z',
      };
      expect(typedEventSchema(type).safeParse({ ...event, data: eventExamples[type] }).success, type).toBe(true);
      const other = EVENT_TYPES.find(
        (t) => t !== type && !typedEventSchema(type).safeParse({ ...event, data: eventExamples[t] }).success,
      );
      expect(other, `${type} accepts every other type's example`).toBeDefined();
      expect(typedEventSchema(type).safeParse({ ...event, version: 99, data: eventExamples[type] }).success).toBe(
        false,
      );
    }
  });

  it('publishes a draft-07 JSON Schema per type: the envelope with its type and version fixed, unknown fields allowed', () => {
    const schema = eventJsonSchema('paper.trending') as {
      $schema: string;
      title: string;
      properties: Record<string, { const?: unknown; properties?: Record<string, unknown>; required?: string[] }>;
      required: string[];
      additionalProperties?: unknown;
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('EventPaperTrendingV1');
    expect(schema.properties.type?.const).toBe('paper.trending');
    expect(schema.properties.version?.const).toBe(1);
    expect(schema.required).toEqual(['id', 'type', 'version', 'occurredAt', 'data']);
    expect(schema.properties.data?.required).toEqual(['paper', 'reason', 'threshold', 'rank']);
    // Fields are added within a version: a schema that forbade them would break consumers at every addition.
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
  });
});
