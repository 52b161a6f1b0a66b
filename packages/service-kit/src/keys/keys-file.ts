import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { sha256, TENANT_PATTERN } from '../auth.ts';

const ID_PATTERN = /^[0-9a-f]{12}$/;
// idl_<12 hex id>_<32 random bytes as base64url>: the id finds the entry, the whole token is hashed.
const TOKEN_PATTERN = /^idl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const keyEntry = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'must be 12 lowercase hex characters'),
  tenant: z.string().regex(TENANT_PATTERN, 'must be 1-64 letters, digits, "_" or "-"'),
  scopes: z.array(z.enum(['ingest', 'query', 'admin'])).min(1, 'needs at least one scope'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 lowercase hex digits of a SHA-256'),
  name: z.string().max(200).optional(),
  created: z.iso.datetime({ offset: true }),
});

const keysFile = z.strictObject({ version: z.literal(1), keys: z.array(keyEntry) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.keys.forEach((key, i) => {
    if (seen.has(key.id))
      ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate key id ${key.id}` });
    seen.add(key.id);
  });
});

export type KeyEntry = z.infer<typeof keyEntry>;
export type KeysFile = z.infer<typeof keysFile>;

/** Pure: validates a keys file's text; throws naming the file and every bad field. */
export function parseKeysFile(text: string, source: string): KeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Invalid keys file ${source}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = keysFile.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
  throw new Error(`Invalid keys file ${source}: ${problems}`);
}

/** Reads and validates a keys file; a missing file reads as empty only when `missingIsEmpty`. */
export async function readKeysFile(path: string, missingIsEmpty = false): Promise<KeysFile> {
  try {
    return parseKeysFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if (missingIsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw err;
  }
}

/** Writes a keys file atomically (temp file + rename, mode 0600) so a reader never sees half of it. */
export async function writeKeysFile(path: string, file: KeysFile): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    // The mode option is filtered by the umask; the file holds only hashes but still names every tenant.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** A fresh token and the entry that stores only its hash; the token is shown once and never kept. */
export function issueKey(
  tenant: string,
  scopes: KeyEntry['scopes'],
  name: string | undefined,
  now: Date,
): { token: string; entry: KeyEntry } {
  const id = randomBytes(6).toString('hex');
  const token = `idl_${id}_${randomBytes(32).toString('base64url')}`;
  const entry = keyEntry.parse({
    id,
    tenant,
    scopes,
    sha256: sha256(token).toString('hex'),
    ...(name ? { name } : {}),
    created: now.toISOString(),
  });
  return { token, entry };
}

/** Pure: the key id inside a token of the `idl_<id>_<secret>` form, or undefined for any other string. */
export function tokenId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}
