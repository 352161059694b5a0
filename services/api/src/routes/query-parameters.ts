import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

type JsonSchema = { properties?: Record<string, unknown>; required?: string[] };

/** Query parameters of an OpenAPI operation, from the zod object that validates them. */
export function queryParameters(schema: z.ZodTypeAny) {
  const json = zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none' }) as JsonSchema;
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name),
    schema: property,
  }));
}
