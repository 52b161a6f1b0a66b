import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';

export type ClientAuth = 'none' | 'optional' | 'require';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle that signs client certificates; required unless clientAuth is 'none'. */
  clientCaFile?: string;
}

export interface TlsOptions extends TlsFiles {
  clientAuth: ClientAuth;
}

export interface HttpsServerOptions extends SecureContextOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Reads the certificate files once, at start, into fastify's `https` option; throws naming a missing file. */
export function tlsServerOptions(options: TlsOptions): HttpsServerOptions {
  if (options.clientAuth !== 'none' && !options.clientCaFile) {
    throw new Error(
      `TLS client auth "${options.clientAuth}" needs clientCaFile (TLS_CLIENT_CA_FILE): the CA that signs client certificates`,
    );
  }
  const read = (field: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`Cannot read ${field} ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    cert: read('certFile', options.certFile),
    key: read('keyFile', options.keyFile),
    ...(options.clientCaFile && options.clientAuth !== 'none'
      ? { ca: read('clientCaFile', options.clientCaFile) }
      : {}),
    minVersion: 'TLSv1.2',
    requestCert: options.clientAuth !== 'none',
    // 'optional' lets unverified clients finish the handshake; they must then present a key.
    rejectUnauthorized: options.clientAuth === 'require',
  };
}

export interface CertificateWatchOptions {
  /** How often the files' content is compared with the served one (default 10000 ms). */
  reloadMs?: number;
  onReload?: () => void;
  onError?: (err: Error) => void;
}

/** The part of a TLS server this needs: fastify's `app.server` when listening with https. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

/**
 * Re-reads the certificate files every `reloadMs` and swaps the server's secure context when they
 * change (cert-manager rotates them in place); new handshakes get the new certificate, open ones keep theirs.
 */
export function watchCertificates(
  server: SecureContextTarget,
  files: TlsFiles,
  options: CertificateWatchOptions = {},
): { close(): void } {
  const fingerprint = (parts: (Buffer | undefined)[]): string =>
    parts.map((b) => b?.toString('base64') ?? '').join('|');
  // Read synchronously now, so a rotation right after start is seen as a change, not taken as the baseline.
  let served: string | undefined;
  try {
    served = fingerprint([
      readFileSync(files.certFile),
      readFileSync(files.keyFile),
      files.clientCaFile ? readFileSync(files.clientCaFile) : undefined,
    ]);
  } catch {
    served = undefined;
  }
  let running = false;
  const check = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const [cert, key, ca] = await Promise.all([
        readFile(files.certFile),
        readFile(files.keyFile),
        files.clientCaFile ? readFile(files.clientCaFile) : undefined,
      ]);
      const content = fingerprint([cert, key, ca]);
      if (content === served) return;
      // Throws on a key that does not match its certificate, e.g. mid-rotation: retried on the next poll.
      server.setSecureContext({ cert, key, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' });
      served = content;
      options.onReload?.();
    } catch (err) {
      options.onError?.(err as Error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), options.reloadMs ?? 10_000);
  timer.unref();
  return { close: () => clearInterval(timer) };
}

export interface TlsEnv {
  TLS_CERT_FILE?: string;
  TLS_KEY_FILE?: string;
  TLS_CLIENT_CA_FILE?: string;
  TLS_CLIENT_AUTH?: ClientAuth;
}

/**
 * The listener's TLS settings from the environment, or undefined for plain HTTP (no TLS_CERT_FILE);
 * `clientCertificates` says whether verified client certificates may stand in for keys.
 */
export function tlsFromEnv(
  env: TlsEnv,
): { https: HttpsServerOptions; files: TlsFiles; clientCertificates: boolean } | undefined {
  if (!env.TLS_CERT_FILE && !env.TLS_KEY_FILE) return undefined;
  if (!env.TLS_CERT_FILE || !env.TLS_KEY_FILE) throw new Error('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  const clientAuth = env.TLS_CLIENT_AUTH ?? 'none';
  const files: TlsFiles = {
    certFile: env.TLS_CERT_FILE,
    keyFile: env.TLS_KEY_FILE,
    ...(env.TLS_CLIENT_CA_FILE ? { clientCaFile: env.TLS_CLIENT_CA_FILE } : {}),
  };
  return { https: tlsServerOptions({ ...files, clientAuth }), files, clientCertificates: clientAuth !== 'none' };
}
