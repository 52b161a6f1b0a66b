import { z } from 'zod';
import { assertSafeToListen, type ApiKeyring } from './auth.ts';
import { keyringFromEnv, type KeyringLog } from './keys/file-keyring.ts';
import { tlsFromEnv, watchCertificates, type HttpsServerOptions, type SecureContextTarget } from './tls.ts';

const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
const optionalPath = z.string().min(1).optional();

/** The security settings every HTTP service reads, under the names the Helm chart and the operator set. */
export const SecurityEnv = {
  /** Plaintext `key:tenant[:scope+scope]` list, for development; production uses API_KEYS_FILE. */
  API_KEYS: z.string().default(''),
  /** A keys file holding only SHA-256 digests (made by the keys CLI), reloaded when it changes. */
  API_KEYS_FILE: optionalPath,
  API_KEYS_RELOAD_MS: z.coerce.number().int().min(0).default(5000),
  /** Serve without API keys beyond loopback; only behind something else that authenticates. */
  ALLOW_UNAUTHENTICATED: flag,
  TLS_CERT_FILE: optionalPath,
  TLS_KEY_FILE: optionalPath,
  TLS_CLIENT_CA_FILE: optionalPath,
  TLS_CLIENT_AUTH: z.enum(['none', 'optional', 'require']).default('none'),
  /** Host names served besides loopback ones while auth is off, e.g. a dev container's name (DNS-rebinding guard). */
  ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** Browser origins allowed to call the API from other sites; empty = CORS off. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
};

type SecurityConfig = { HOST: string } & z.infer<z.ZodObject<typeof SecurityEnv>>;

/** What a service's buildApp needs to listen securely: keys, TLS and which origins may call it. */
export interface ListenerSecurity {
  keyring: ApiKeyring;
  https?: HttpsServerOptions;
  clientCertificates: boolean;
  corsOrigins: string[];
  /** Host names served with auth off: loopback plus ALLOWED_HOSTS, or any behind ALLOW_UNAUTHENTICATED's gateway. */
  allowedHosts: string[] | 'any';
  /** Reloads rotated certificate files into a listening server (fastify's app.server, a TLS socket server; a no-op without TLS). */
  watch(server: unknown, log: KeyringLog): void;
  close(): void;
}

/**
 * Loads the keyring and TLS files a service was configured with, and refuses to start
 * unauthenticated beyond loopback (unless ALLOW_UNAUTHENTICATED).
 */
export async function listenerSecurity(config: SecurityConfig, log?: KeyringLog): Promise<ListenerSecurity> {
  const keyring = await keyringFromEnv(config, log);
  const tls = tlsFromEnv(config);
  assertSafeToListen(keyring, config.HOST, config.ALLOW_UNAUTHENTICATED, tls?.clientCertificates ?? false);
  const watchers: { close(): void }[] = [];
  return {
    keyring,
    ...(tls ? { https: tls.https } : {}),
    clientCertificates: tls?.clientCertificates ?? false,
    corsOrigins: config.CORS_ORIGINS,
    allowedHosts: config.ALLOW_UNAUTHENTICATED ? 'any' : config.ALLOWED_HOSTS,
    watch(server, watchLog) {
      if (!tls) return;
      watchers.push(
        watchCertificates(server as SecureContextTarget, tls.files, {
          onReload: () => watchLog.info({ cert: tls.files.certFile }, 'Reloaded the TLS certificate'),
          onError: (err) =>
            watchLog.error(
              { err: String(err) },
              'Kept the previous TLS certificate: the new files could not be loaded',
            ),
        }),
      );
    },
    close() {
      keyring.close();
      for (const watcher of watchers) watcher.close();
    },
  };
}
