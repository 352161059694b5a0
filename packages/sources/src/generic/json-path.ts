/**
 * Simple paths into JSON: dotted keys with `[n]` (one array element) and `[*]` (every element
 * of an array, or every value of an object): `props.items`, `data[0].papers`, `[*].paper.id`.
 * The empty path is the value itself. Keys cannot contain `.`, `[` or `]`.
 */

export type PathStep = { key: string } | { index: number } | { every: true };

const STEP = /\.?([^.[\]]+)|\[(\d+|\*)\]/gy;

/** The steps of a path, or undefined when it is not one. */
export function compilePath(path: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  STEP.lastIndex = 0;
  let at = 0;
  while (at < path.length) {
    STEP.lastIndex = at;
    const match = STEP.exec(path);
    // A leading "." and a "." before "[" are not paths.
    if (!match || (match[0].startsWith('.') && at === 0)) return undefined;
    const [, key, bracket] = match;
    if (key !== undefined) steps.push({ key });
    else if (bracket === '*') steps.push({ every: true });
    else steps.push({ index: Number(bracket) });
    at = STEP.lastIndex;
  }
  return steps;
}

/** Every value the path reaches, in document order (several when it goes through `[*]`). */
export function resolvePath(value: unknown, steps: readonly PathStep[]): unknown[] {
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('key' in step) {
        if (typeof v === 'object' && v !== null && Object.hasOwn(v, step.key))
          next.push((v as Record<string, unknown>)[step.key]);
      } else if ('index' in step) {
        if (Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
      } else if (Array.isArray(v)) {
        next.push(...v);
      } else if (typeof v === 'object' && v !== null) {
        next.push(...Object.values(v));
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined);
}
