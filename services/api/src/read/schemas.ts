import { parseDayOrInstant, type Taxonomy } from '@paperboy/pipeline';
import { z } from 'zod';

/** The query schemas of the read API: they validate requests and generate /api/openapi.json. */
export function readSchemas(taxonomy: Taxonomy) {
  const topicIds = taxonomy.topics.map((t) => t.id) as [string, ...string[]];
  // Postgres text cannot hold NUL: refused here as a 400 rather than by the database as a 500.
  const noNul = (schema: z.ZodString) => schema.refine((v) => !v.includes('\0'), 'must not contain NUL characters');
  const listQuery = z
    .object({
      topic: z.enum(topicIds).optional(),
      source: noNul(z.string().min(1).max(100))
        .describe(
          "a source id: one that has crawled (listed by /api/sources with a last crawl) or in a paper's sources; any other id is a 400",
        )
        .optional(),
      since: z
        .string()
        .refine(
          (v) => parseDayOrInstant(v) !== null,
          'a day YYYY-MM-DD or an ISO 8601 time with a zone, e.g. 2026-11-28T09:30:00Z',
        )
        .optional(),
      q: noNul(z.string().min(1).max(200)).optional(),
      sort: z.enum(['trending', 'new']).default('trending'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(500).optional(),
      format: z.enum(['json', 'csv']).optional(),
    })
    .strict();
  const trendingQuery = z
    .object({
      window: z.enum(['24h', '7d']).default('24h'),
      limit: z.coerce.number().int().min(1).max(200).default(25),
      format: z.enum(['json', 'csv']).optional(),
    })
    .strict();
  // Lists without filters: only the format; anything else is a 400 rather than silently ignored.
  const formatQuery = z.object({ format: z.enum(['json', 'csv']).optional() }).strict();
  const noQuery = z.object({}).strict();
  return { listQuery, trendingQuery, formatQuery, noQuery };
}
