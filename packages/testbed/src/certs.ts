import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertAndKey {
  certFile: string;
  keyFile: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA that signs the server and the trusted client certificates. */
  caFile: string;
  /** Server certificate for 127.0.0.1 and localhost. */
  server: CertAndKey;
  /** Client certificates by name; each has subject CN = its name. */
  clients: Record<string, CertAndKey>;
  /** A client certificate (CN "intruder") from a second CA the server does not trust. */
  untrustedClient: CertAndKey;
  /** Issues a new server certificate into the same two files, as cert-manager does on rotation. */
  reissueServer(): Promise<void>;
}

/** Creates a CA, a server certificate and client certificates in `dir` with the openssl CLI (EC P-256, valid 2 days). */
export async function createTestCertificates(
  dir: string,
  options: { clients?: readonly string[] } = {},
): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const ca = await createCa(dir, 'ca', 'Instant Logs Test CA');
  const otherCa = await createCa(dir, 'untrusted-ca', 'Untrusted Test CA');
  const server = { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
  const reissueServer = (): Promise<void> =>
    issue(dir, ca, 'server', 'localhost', server, 'serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  await reissueServer();
  const clients: Record<string, CertAndKey> = {};
  for (const name of options.clients ?? []) {
    const files = { certFile: join(dir, `client-${name}.crt`), keyFile: join(dir, `client-${name}.key`) };
    await issue(dir, ca, `client-${name}`, name, files, 'clientAuth');
    clients[name] = files;
  }
  const untrustedClient = { certFile: join(dir, 'untrusted-client.crt'), keyFile: join(dir, 'untrusted-client.key') };
  await issue(dir, otherCa, 'untrusted-client', 'intruder', untrustedClient, 'clientAuth');
  return { dir, caFile: ca.certFile, server, clients, untrustedClient, reissueServer };
}

function ecKeyArgs(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

async function createCa(dir: string, base: string, cn: string): Promise<CertAndKey> {
  const files = { certFile: join(dir, `${base}.crt`), keyFile: join(dir, `${base}.key`) };
  await run('openssl', [
    'req',
    '-x509',
    ...ecKeyArgs(files.keyFile),
    '-out',
    files.certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

async function issue(
  dir: string,
  ca: CertAndKey,
  base: string,
  cn: string,
  into: CertAndKey,
  usage: string,
  extra?: string,
): Promise<void> {
  // Written beside the targets and renamed over them, so a reader sees the old or the new file, never half of one.
  const tmp = { certFile: join(dir, `${base}.new.crt`), keyFile: join(dir, `${base}.new.key`) };
  const csr = join(dir, `${base}.csr`);
  const ext = join(dir, `${base}.ext`);
  await writeFile(
    ext,
    [`extendedKeyUsage=${usage}`, 'basicConstraints=CA:FALSE', ...(extra ? [extra] : [])].join('\n'),
  );
  await run('openssl', ['req', '-new', ...ecKeyArgs(tmp.keyFile), '-out', csr, '-subj', `/CN=${cn}`]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-CAserial',
    `${ca.certFile}.srl`,
    '-out',
    tmp.certFile,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  await rename(tmp.keyFile, into.keyFile);
  await rename(tmp.certFile, into.certFile);
}
