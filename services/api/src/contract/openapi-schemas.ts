import {
  EVENT_TYPES,
  eventEnvelopeSchema,
  eventPaperSchema,
  eventSchemaName,
  eventTypes,
  typedEventSchema,
} from '@paperboy/pipeline';
import { z } from 'zod';
import { ignoreOverride, type Options, type OverrideCallback, parseDef, zodToJsonSchema } from 'zod-to-json-schema';
import { errorSchema, responseComponents } from './responses.js';

/**
 * The zod schemas behind `components.schemas` and every response of /api/openapi.json, turned into
 * OpenAPI 3.0 JSON Schema (zod-to-json-schema, target openApi3). A schema named here is referenced
 * (`$ref`) wherever it appears, inside another schema too, rather than repeated.
 */

/** Every delivery of an event, by type: the envelope with its `type` and `version` fixed and its `data`. */
const anyEventSchema = z
  .union(
    EVENT_TYPES.map((type) => typedEventSchema(type)) as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]],
  )
  .describe('An event as delivered (webhook body, stream message): one of the types, by `type` and `version`');

/** The events' schemas: the envelope, the paper they carry, each type's `data` (`EventPaperCreatedV1`…), any event. */
const eventComponents: Record<string, z.ZodTypeAny> = {
  EventEnvelope: eventEnvelopeSchema,
  EventPaper: eventPaperSchema,
  ...Object.fromEntries(EVENT_TYPES.map((type) => [eventSchemaName(type), eventTypes[type].data])),
  Event: anyEventSchema,
};

const COMPONENTS: Record<string, z.ZodTypeAny> = { ...responseComponents, ...eventComponents };
const nameOf = new Map(Object.entries(COMPONENTS).map(([name, schema]) => [schema, name]));
const nameOfDef = new Map(Object.entries(COMPONENTS).map(([name, schema]) => [schema._def as z.ZodTypeDef, name]));
const componentPath = (name: string) => `#/components/schemas/${name}`;

/**
 * A named schema met anywhere but at its own definition becomes a `$ref` to it; any other schema used
 * twice is repeated (zod-to-json-schema's own references would point inside another schema's
 * properties, which generated clients name badly). A record keyed by an enum (`changes` of
 * paper.updated) is an object whose properties are each optional: OpenAPI 3.0 has no propertyNames,
 * and zod-to-json-schema's openApi3 output would require every key.
 */
const override: OverrideCallback = (def, refs) => {
  const name = nameOfDef.get(def);
  if (name !== undefined && refs.currentPath.join('/') !== componentPath(name)) return { $ref: componentPath(name) };
  const record = def as Partial<z.ZodRecordDef>;
  if (record.typeName === z.ZodFirstPartyTypeKind.ZodRecord && record.keyType instanceof z.ZodEnum) {
    const value = parseDef(record.valueType!._def, {
      ...refs,
      currentPath: [...refs.currentPath, 'additionalProperties'],
    });
    const keys = record.keyType.options as string[];
    return {
      type: 'object',
      properties: Object.fromEntries(keys.map((key) => [key, value ?? {}])),
      ...(def.description ? { description: def.description } : {}),
    } as ReturnType<OverrideCallback>;
  }
  return ignoreOverride;
};

const options: Partial<Options<'openApi3'>> = {
  target: 'openApi3',
  // Definitions land in the document's components.schemas.
  basePath: ['#', 'components'],
  definitionPath: 'schemas',
  definitions: COMPONENTS,
  $refStrategy: 'none',
  override,
  // A field may be added to an answer or an event without a new version: clients must accept unknown fields.
  removeAdditionalStrategy: 'strict',
  allowedAdditionalProperties: undefined,
};

/** components.schemas: every named schema, referring to the others by `$ref`. */
export function componentSchemas(): Record<string, unknown> {
  const { schemas } = zodToJsonSchema(z.object({}), options) as { schemas: Record<string, unknown> };
  return schemas;
}

/** The JSON Schema of a response body: a `$ref` when the schema is a named component, else inline. */
export function jsonSchemaOf(schema: z.ZodTypeAny): Record<string, unknown> {
  const name = nameOf.get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  const { schemas: _schemas, ...json } = zodToJsonSchema(schema, options) as Record<string, unknown>;
  return json;
}

/** A JSON response of `schema`. */
export const jsonResponse = (description: string, schema: z.ZodTypeAny) => ({
  description,
  content: { 'application/json': { schema: jsonSchemaOf(schema) } },
});

/** An error response: the body every error has (`{error, details?, requestId?}`). */
export const errorResponse = (description: string) => jsonResponse(description, errorSchema);

/** A response whose body is text of a media type (CSV, RSS, Atom, HTML, an event stream). */
export const textResponse = (description: string, mediaType: string) => ({
  description,
  content: { [mediaType]: { schema: { type: 'string' } } },
});

/** The answers every read route can give besides its own: limited per client, bounded in time, broken. */
export const readErrors = {
  429: errorResponse('too many requests from this client (Retry-After says when to come back)'),
  // Every read query is limited to PAPERBOY_API_STATEMENT_TIMEOUT_MS (read-pool.ts, error-handler.ts).
  503: errorResponse('the query took too long (the read time limit); Retry-After says when to try again'),
  500: errorResponse('internal error (requestId names the log line)'),
};
