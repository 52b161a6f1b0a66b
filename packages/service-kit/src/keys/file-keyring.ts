import { readFile } from 'node:fs/promises';
import { parseApiKeys, sameDigest, sha256, type ApiKeyring, type Principal, type Scope } from '../auth.ts';
import { parseKeysFile, tokenId, type KeysFile } from './keys-file.ts';

export interface FileKeyringOptions {
  /** How often the file's content is compared with the loaded one (default 5000 ms; 0 = never). */
  reloadMs?: number;
  onReload?: (keyCount: number) => void;
  onError?: (err: Error) => void;
}

export type FileKeyring = ApiKeyring & { reload(): Promise<void>; close(): void };

interface Loaded {
  text: string;
  byId: Map<string, { digest: Buffer; principal: Principal }>;
}

// Compared against when the id is unknown, so a miss costs the same hashing and comparison as a hit.
const DUMMY_DIGEST = sha256('idl_000000000000_unknown');

/**
 * Loads a keys file of hashes (throws naming the bad field) and re-reads it every `reloadMs`: a changed
 * file swaps the keys in place (rotation without downtime); a bad one keeps the previous keys and calls onError.
 */
export async function createFileKeyring(path: string, options: FileKeyringOptions = {}): Promise<FileKeyring> {
  let loaded = load(await readFile(path, 'utf8'), path);
  let closed = false;
  const reload = async (): Promise<void> => {
    try {
      const text = await readFile(path, 'utf8');
      // Polling the content rather than fs.watch: kubelet swaps Secret volumes through symlinks.
      if (closed || text === loaded.text) return;
      loaded = load(text, path);
      options.onReload?.(loaded.byId.size);
    } catch (err) {
      options.onError?.(err as Error);
    }
  };
  const reloadMs = options.reloadMs ?? 5000;
  let running: Promise<void> | undefined;
  const timer =
    reloadMs > 0 ? setInterval(() => (running ??= reload().finally(() => (running = undefined))), reloadMs) : undefined;
  timer?.unref();
  return {
    // A keys file, even an empty one, means auth is on: revoking every key must not open the door.
    enabled: true,
    authenticate(presented) {
      const id = tokenId(presented);
      const entry = id === undefined ? undefined : loaded.byId.get(id);
      const match = sameDigest(entry?.digest ?? DUMMY_DIGEST, sha256(presented));
      return entry && match ? entry.principal : undefined;
    },
    reload,
    close() {
      closed = true;
      if (timer) clearInterval(timer);
    },
  };
}

function load(text: string, path: string): Loaded {
  const file: KeysFile = parseKeysFile(text, path);
  const byId = new Map<string, { digest: Buffer; principal: Principal }>();
  for (const key of file.keys) {
    byId.set(key.id, {
      digest: Buffer.from(key.sha256, 'hex'),
      principal: { tenant: key.tenant, scopes: new Set<Scope>(key.scopes), id: key.id },
    });
  }
  return { text, byId };
}

/** Asks each keyring in turn; enabled when any of them is. */
export function combineKeyrings(...rings: ApiKeyring[]): ApiKeyring {
  return {
    enabled: rings.some((r) => r.enabled),
    authenticate(presented) {
      for (const ring of rings) {
        const principal = ring.authenticate(presented);
        if (principal) return principal;
      }
      return undefined;
    },
  };
}

export interface KeyringEnv {
  API_KEYS?: string;
  API_KEYS_FILE?: string;
  API_KEYS_RELOAD_MS?: number;
}

export interface KeyringLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The keyring a service runs with: API_KEYS plus the hashed keys in API_KEYS_FILE (reloaded on change). */
export async function keyringFromEnv(env: KeyringEnv, log?: KeyringLog): Promise<ApiKeyring & { close(): void }> {
  const fromEnv = parseApiKeys(env.API_KEYS ?? '');
  if (!env.API_KEYS_FILE) return { enabled: fromEnv.enabled, authenticate: (k) => fromEnv.authenticate(k), close() {} };
  const file = env.API_KEYS_FILE;
  const fromFile = await createFileKeyring(file, {
    ...(env.API_KEYS_RELOAD_MS !== undefined ? { reloadMs: env.API_KEYS_RELOAD_MS } : {}),
    onReload: (keys) => log?.info({ file, keys }, 'Reloaded API keys file'),
    onError: (err) => log?.error({ file, err }, 'Kept the previous API keys: the keys file could not be reloaded'),
  });
  const combined = combineKeyrings(fromEnv, fromFile);
  return { enabled: combined.enabled, authenticate: (k) => combined.authenticate(k), close: () => fromFile.close() };
}
