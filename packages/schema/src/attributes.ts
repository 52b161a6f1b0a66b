import { LIMITS } from './limits.ts';

/** A problem found while flattening, with the dotted path that caused it. */
export interface FlattenProblem {
  path: string;
  message: string;
}

/**
 * Pure: flattens nested objects into dotted keys with string values ({a:{b:1}} → {"a.b":"1"}).
 * Arrays are kept whole as JSON text; null and undefined values are dropped.
 */
export function flattenAttributes(
  input: Record<string, unknown>,
  field: string,
): { attributes: Record<string, string>; problem?: FlattenProblem } {
  const out: Record<string, string> = {};
  let count = 0;
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number): FlattenProblem | undefined => {
    if (depth > LIMITS.maxDepth) return { path: `${field}.${prefix}`, message: `nesting deeper than ${LIMITS.maxDepth} levels` };
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      if (value === null || value === undefined) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (key.length === 0) return { path: `${field}.${path}`, message: 'attribute keys must not be empty' };
      if (path.length > LIMITS.maxKeyLength) {
        return { path: `${field}.${path.slice(0, 64)}…`, message: `attribute key longer than ${LIMITS.maxKeyLength} characters` };
      }
      if (typeof value === 'object' && !Array.isArray(value)) {
        const problem = walk(value as Record<string, unknown>, path, depth + 1);
        if (problem) return problem;
        continue;
      }
      if (++count > LIMITS.maxAttributes) return { path: field, message: `more than ${LIMITS.maxAttributes} attributes` };
      // defineProperty keeps keys such as "__proto__" as plain data instead of touching the prototype.
      Object.defineProperty(out, path, { value: stringify(value), enumerable: true, writable: true, configurable: true });
    }
    return undefined;
  };
  const problem = walk(input, '', 1);
  return problem ? { attributes: out, problem } : { attributes: out };
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}
