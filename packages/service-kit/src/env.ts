import { z } from 'zod';

/**
 * The OpenTelemetry variables a service's tracing reads (@instant-logs/telemetry and its OTLP exporter), declared
 * so a service's schema lists every variable it takes, the operator's included.
 */
export const TracingEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  OTEL_SDK_DISABLED: z.string().optional(),
};

/**
 * Parses the environment with a zod schema once; a bad environment fails at start naming every problem.
 * zod drops keys it does not know, so a misspelt setting would silently fall back to its default: a key one or
 * two letters away from a declared one is reported through `warn` (a process warning on stderr by default).
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void = (message) => process.emitWarning(message, 'ConfigurationWarning'),
): Readonly<z.infer<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  if (schema instanceof z.ZodObject) {
    for (const { key, declared } of misspeltKeys(Object.keys(schema.shape), Object.keys(env))) {
      warn(`${key} is not a setting of this service and is ignored; did you mean ${declared}?`);
    }
  }
  return Object.freeze(parsed.data);
}

/**
 * Pure: the given keys that are not declared but are within two edits of a declared one with the same first word
 * (TAIL_MAX_PER_TENANTS for TAIL_MAX_PER_TENANT), with that one. The same first word keeps the machine's own
 * variables out: HOME is two edits from HOST.
 */
export function misspeltKeys(
  declared: readonly string[],
  given: readonly string[],
): { key: string; declared: string }[] {
  const known = new Set(declared);
  const firstWord = (k: string) => k.split('_', 1)[0];
  const out: { key: string; declared: string }[] = [];
  for (const key of given) {
    if (known.has(key) || !key.includes('_')) continue;
    const near = declared.find(
      (d) => firstWord(d) === firstWord(key) && Math.abs(d.length - key.length) <= 2 && editDistance(d, key) <= 2,
    );
    if (near) out.push({ key, declared: near });
  }
  return out;
}

// Levenshtein distance, two rows at a time.
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
