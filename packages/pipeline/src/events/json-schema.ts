import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { type EventType, eventEnvelopeSchema, eventTypes } from './schemas.js';

/**
 * `paper.created` at version 1 → `EventPaperCreatedV1`: the name of a type's data schema in the
 * OpenAPI document (components.schemas) and in docs/reference/events.md.
 */
export function eventSchemaName(type: EventType, version: number = eventTypes[type].version): string {
  const words = type.split(/[._]/).map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `Event${words.join('')}V${version}`;
}

/** The envelope of one event type at its current version: what a delivery of that type carries, `data` included. */
export function typedEventSchema<T extends EventType>(type: T) {
  const spec = eventTypes[type];
  return eventEnvelopeSchema
    .extend({ type: z.literal(type), version: z.literal(spec.version), data: spec.data })
    .describe(`${type} (version ${spec.version}): ${spec.summary}`);
}

/** Where a type's JSON Schema is published, from the repository root (`pnpm docs:generate` writes it). */
export const eventSchemaFile = (type: EventType, version: number = eventTypes[type].version) =>
  `docs/reference/events/${type}.v${version}.schema.json`;

/**
 * The JSON Schema (draft-07) of one event type's deliveries, envelope and data: what a consumer
 * validates a webhook body or stream message against. A type's schema at a version never changes in
 * a way that breaks a consumer; such a change is a new version (and a new file).
 */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const { $schema: _schema, ...json } = zodToJsonSchema(typedEventSchema(type), {
    target: 'jsonSchema7',
    $refStrategy: 'none',
    // A field may be added to a type without a new version: consumers must accept unknown fields.
    removeAdditionalStrategy: 'strict',
    allowedAdditionalProperties: undefined,
  }) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: eventSchemaName(type),
    ...json,
  };
}
