import { z } from 'zod';

/** What a tenant may be called, wherever a tenant is named: keys, certificates, policies, syslog, the LogPipeline. */
export const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_BURST_SECONDS = 2;

// Every field is optional so a tenant's entry overrides only what it names; unset means unlimited
// (rates) or the table's default retention. burstSeconds gets its default in policyFor, not here,
// or a tenant's implicit default would override an explicit one in `defaults`.
const PolicyFields = z.strictObject({
  retentionDays: z.int().min(1).max(3650).optional(),
  recordsPerSecond: z.number().positive().finite().optional(),
  bytesPerSecond: z.number().positive().finite().optional(),
  burstSeconds: z.number().positive().finite().optional(),
});

/** The TENANTS_FILE document: limits and retention for all tenants, and per tenant. */
export const TenantPolicies = z.strictObject({
  defaults: PolicyFields.default({}),
  tenants: z
    .record(z.string().regex(TENANT_NAME, 'a tenant name is 1-64 letters, digits, "_" or "-"'), PolicyFields)
    .default({}),
});
export type TenantPolicies = z.output<typeof TenantPolicies>;

/** One tenant's effective policy: its own fields over the defaults. */
export interface TenantPolicy {
  retentionDays?: number;
  recordsPerSecond?: number;
  bytesPerSecond?: number;
  burstSeconds: number;
}

/** Pure: the tenant's policy, merging its own fields over the defaults. */
export function policyFor(policies: TenantPolicies, tenant: string): TenantPolicy {
  const own = Object.hasOwn(policies.tenants, tenant) ? policies.tenants[tenant] : undefined;
  const merged = { ...policies.defaults, ...definedOnly(own ?? {}) };
  return { ...merged, burstSeconds: merged.burstSeconds ?? DEFAULT_BURST_SECONDS };
}

/** Pure: parses TENANTS_FILE text; throws an Error naming every bad field. */
export function parseTenantPolicies(text: string): TenantPolicies {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`Invalid tenant policies: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const result = TenantPolicies.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(document)'}: ${messageOf(issue)}`,
  );
  throw new Error(`Invalid tenant policies: ${problems.join('; ')}`);
}

// A bad tenant name surfaces as a generic "invalid key" issue that carries the regex's message inside.
function messageOf(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
