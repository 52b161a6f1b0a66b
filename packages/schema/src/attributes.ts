import { LIMITS } from './limits.ts';

/** A problem found while flattening, with the dotted path that caused it. */
export interface FlattenProblem {
  path: string;
  message: string;
}

/**
 * Pure: flattens nested objects into dotted keys with string values ({a:{b:1}} → {"a.b":"1"}).
 * Arrays are kept whole as JSON text; null and undefined values are dropped. Lone UTF-16
 * surrogates in keys and values become U+FFFD, as invalid UTF-8 in a request body does.
 */
export function flattenAttributes(
  input: Record<string, unknown>,
  field: string,
): { attributes: Record<string, string>; problem?: FlattenProblem } {
  const out: Record<string, string> = {};
  let count = 0;
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number): FlattenProblem | undefined => {
    if (depth > LIMITS.maxDepth)
      return { path: `${field}.${prefix}`, message: `nesting deeper than ${LIMITS.maxDepth} levels` };
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      if (value === null || value === undefined) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (key.length === 0) return { path: `${field}.${path}`, message: 'attribute keys must not be empty' };
      if (path.length > LIMITS.maxKeyLength) {
        return {
          path: `${field}.${path.slice(0, 64)}…`,
          message: `attribute key longer than ${LIMITS.maxKeyLength} characters`,
        };
      }
      if (typeof value === 'object' && !Array.isArray(value)) {
        const problem = walk(value as Record<string, unknown>, path, depth + 1);
        if (problem) return problem;
        continue;
      }
      if (++count > LIMITS.maxAttributes)
        return { path: field, message: `more than ${LIMITS.maxAttributes} attributes` };
      const text = toText(value, depth);
      if (typeof text !== 'string') return { path: `${field}.${path}`, message: text.message };
      // defineProperty keeps keys such as "__proto__" as plain data instead of touching the prototype.
      Object.defineProperty(out, path.toWellFormed(), {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return undefined;
  };
  const problem = walk(input, '', 1);
  return problem ? { attributes: out, problem } : { attributes: out };
}

/**
 * Pure: a scalar as text, or an array or object as JSON text, well-formed and within the value
 * limits; `depth` is how deep the value already sits. A problem comes back as `{ message }`.
 */
export function toText(value: unknown, depth = 0): string | { message: string } {
  if (typeof value === 'object' && value !== null && nestsDeeperThan(value, LIMITS.maxDepth - depth)) {
    return { message: `nesting deeper than ${LIMITS.maxDepth} levels` };
  }
  const text = (
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  ).toWellFormed();
  if (text.length > LIMITS.maxValueLength) return { message: `value longer than ${LIMITS.maxValueLength} characters` };
  return text;
}

// Iterative, because JSON.stringify recurses and a 100k-deep array would overflow the stack.
function nestsDeeperThan(root: object, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
