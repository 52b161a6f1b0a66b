import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type User } from '@kubernetes/client-node';
import { httpGet } from './http-get.ts';

export interface ControlPlaneOptions {
  /** How long etcd and kube-apiserver may take to become ready (default 90 s); a first build is not counted. */
  startTimeoutMs?: number;
  /**
   * The address kube-apiserver listens on and advertises (default 127.0.0.1). A cluster with a node
   * (kube-node.ts) needs one its pods and kubelet can reach: the `kubernetes` Service points there.
   */
  address?: string;
  /**
   * Run as the control plane of a cluster with a node: the ServiceAccount admission plugin (pods get
   * tokens) and every default controller (endpoints, jobs, statefulsets, the root CA publisher…).
   */
  workloads?: boolean;
  /** --service-cluster-ip-range (default 10.0.0.0/24); its first address, the `kubernetes` Service's, is in the cert. */
  serviceCidr?: string;
  /**
   * Controllers to run besides the default few, without a node (e.g. `statefulset-controller` and
   * `persistentvolume-binder-controller`: claims made and bound, pods left Pending).
   */
  controllers?: readonly string[];
}

export interface ControlPlane {
  /** `https://<address>:<port>` */
  server: string;
  /** An admin (`system:masters`) kubeconfig with inline certificates, for kubectl and helm. */
  kubeconfigPath: string;
  /** The same admin credentials, loaded. */
  kubeConfig: KubeConfig;
  /** Holds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl, etcd and helm. */
  binDir: string;
  /**
   * Starts the GC, namespace, serviceaccount, deployment and replicaset controllers (all defaults with
   * `workloads`); call after installing CRDs.
   */
  startControllerManager(): Promise<void>;
  /** Credentials of a ServiceAccount (a TokenRequest token), to test what RBAC lets it do. */
  userKubeConfig(serviceAccount: string, namespace: string): Promise<KubeConfig>;
  /**
   * Stops kube-apiserver (SIGTERM), waits for `whileDown` (an outage as long as a test needs, ended by a
   * condition, not a clock), then starts it again on the same port, etcd and certificates; resolves at /readyz.
   */
  restartApiServer(whileDown?: () => Promise<unknown>): Promise<void>;
  /** Stops every process and deletes the data and certificates. */
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('../scripts/kube-binaries.sh', import.meta.url));
const OPENSSL_CONF = fileURLToPath(new URL('../kube/openssl.cnf', import.meta.url));
const POLL_MS = 50;
const DIR_PREFIX = 'kube-testbed-';
const CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'deployment-controller',
  'replicaset-controller',
];

/** Builds the binaries unless cached (first time: 15–35 min, progress on stderr) and returns their directory. */
export async function ensureKubeBinaries(): Promise<string> {
  const out = await run(SCRIPT, [], { stderr: 'inherit' });
  const dir = out.trim().split('\n').pop();
  if (!dir) throw new Error(`Cannot find the Kubernetes binaries: ${SCRIPT} printed no directory`);
  return dir;
}

/**
 * Starts etcd and kube-apiserver (RBAC on, admin = client cert in system:masters) on free loopback
 * ports and waits for /readyz. Every process dies with this one; `stop()` also deletes the temp dir.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = await ensureKubeBinaries();
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  await sweepAbandoned();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(dir, 'owner.pid'), String(process.pid));
  const procs: Proc[] = [];
  // Backstop for a test process that ends without stop(); setpriv already kills on a hard crash.
  const onExit = () => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stopAll = async () => {
    for (const p of [...procs].reverse()) await terminate(p);
    process.off('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const address = options.address ?? '127.0.0.1';
    const serviceCidr = options.serviceCidr ?? '10.0.0.0/24';
    const [certs, etcdUrl] = await both(
      makeCerts(dir, address, firstAddress(serviceCidr)),
      startEtcd(binDir, dir, procs, deadline),
    );
    const port = await freePort(address);
    const server = `https://${address}:${port}`;
    const startApiServer = async (until: number) => {
      const apiserver = launch(
        procs,
        'kube-apiserver',
        join(binDir, 'kube-apiserver'),
        apiserverArgs(dir, address, port, etcdUrl, serviceCidr, options.workloads === true),
      );
      await waitFor(
        '/readyz',
        apiserver,
        until,
        async () => (await httpGet(`${server}/readyz`, certs.admin)).status === 200,
      );
    };
    await startApiServer(deadline);
    const kubeConfig = kubeConfigFor(server, certs.admin.ca, {
      name: 'admin',
      certData: b64(certs.admin.cert),
      keyData: b64(certs.admin.key),
    });
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
    return {
      server,
      kubeconfigPath,
      kubeConfig,
      binDir,
      startControllerManager: () =>
        startControllerManager(binDir, dir, kubeconfigPath, procs, options.workloads === true, options.controllers),
      userKubeConfig: async (serviceAccount, namespace) => {
        const core = kubeConfig.makeApiClient(CoreV1Api);
        const body = { spec: { audiences: [], expirationSeconds: 3600 } }; // no audiences → the apiserver's own
        const res = await core.createNamespacedServiceAccountToken({ name: serviceAccount, namespace, body });
        if (!res.status?.token) throw new Error(`Cannot get a token for ServiceAccount ${namespace}/${serviceAccount}`);
        return kubeConfigFor(server, certs.admin.ca, {
          name: `${namespace}:${serviceAccount}`,
          token: res.status.token,
        });
      },
      async restartApiServer(whileDown) {
        const old = procs.filter((p) => p.name === 'kube-apiserver');
        for (const p of old) await terminate(p);
        procs.splice(0, procs.length, ...procs.filter((p) => !old.includes(p)));
        await whileDown?.();
        await startApiServer(Date.now() + (options.startTimeoutMs ?? 90_000));
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

// Unlike Promise.all, waits for both to settle, so stop() never races an etcd still being launched.
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

// A test process killed outright (SIGKILL) leaves its temp dir (~120 MB, mostly etcd's WAL), though
// setpriv kills its processes: the next start deletes dirs whose owner is gone.
async function sweepAbandoned(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = Number(await readFile(join(dir, 'owner.pid'), 'utf8').catch(() => '0'));
    if (owner > 0 && !isAlive(owner)) await rm(dir, { recursive: true, force: true });
  }
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function startEtcd(binDir: string, dir: string, procs: Proc[], deadline: number): Promise<string> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const etcd = launch(procs, 'etcd', join(binDir, 'etcd'), [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    '--listen-peer-urls=http://127.0.0.1:0', // single member: nobody dials the peer port
    '--unsafe-no-fsync=true', // the data is thrown away anyway; fsync dominates write latency
    '--log-level=warn',
  ]);
  await waitFor('/health', etcd, deadline, async () => {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    return res?.ok === true && ((await res.json()) as { health?: string }).health === 'true';
  });
  return url;
}

function apiserverArgs(
  dir: string,
  address: string,
  port: number,
  etcdUrl: string,
  serviceCidr: string,
  workloads: boolean,
): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${port}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
    `--client-ca-file=${join(dir, 'ca.crt')}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--authorization-mode=RBAC',
    // It rejects Pods until the serviceaccount controller (maybe never started) creates the namespace's default SA.
    ...(workloads ? [] : ['--disable-admission-plugins=ServiceAccount']),
    '--allow-privileged=true',
    // For logs and exec through the node's kubelet, which allows any client (kube-node.ts); by its address,
    // since the node's name is in no DNS.
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${join(dir, 'admin.crt')}`,
    `--kubelet-client-key=${join(dir, 'admin.key')}`,
  ];
}

async function startControllerManager(
  binDir: string,
  dir: string,
  kubeconfig: string,
  procs: Proc[],
  workloads: boolean,
  extra: readonly string[] = [],
): Promise<void> {
  if (procs.some((p) => p.name === 'kube-controller-manager' && !p.hasExited())) return;
  const port = await freePort();
  const kcm = launch(procs, 'kube-controller-manager', join(binDir, 'kube-controller-manager'), [
    `--kubeconfig=${kubeconfig}`,
    ...(workloads
      ? ['--controllers=*', `--root-ca-file=${join(dir, 'ca.crt')}`]
      : [`--controllers=${[...CONTROLLERS, ...extra].join(',')}`]),
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'kcm')}`,
  ]);
  // /healthz is always allowed; the serving cert is self-signed, and only liveness is asked here.
  await waitFor(
    '/healthz',
    kcm,
    Date.now() + 60_000,
    async () => (await httpGet(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false })).status === 200,
  );
}

interface Certs {
  admin: { ca: string; cert: string; key: string };
}

// openssl for the certificates (Node makes keys, not X.509); the service-account pair needs none.
// The `kubernetes` Service's ClusterIP: the range's first host address.
function firstAddress(cidr: string): string {
  const octets = cidr.split('/')[0]!.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

async function makeCerts(dir: string, address: string, serviceIp: string): Promise<Certs> {
  const cert = (name: string, subject: string, section: string, signer: string[] = []) =>
    run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '7',
        '-config',
        OPENSSL_CONF,
        '-extensions',
        section,
        '-subj',
        subject,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        ...signer,
      ],
      { cwd: dir, env: { ...process.env, TESTBED_APISERVER_IP: address, TESTBED_SERVICE_IP: serviceIp } },
    );
  await cert('ca', '/CN=instant-logs-testbed-ca', 'ca');
  const byCa = ['-CA', 'ca.crt', '-CAkey', 'ca.key'];
  await Promise.all([
    cert('apiserver', '/CN=kube-apiserver', 'server', byCa),
    cert('admin', '/O=system:masters/CN=testbed-admin', 'client', byCa),
  ]);
  const sa = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await Promise.all([
    writeFile(join(dir, 'sa.key'), sa.privateKey, { mode: 0o600 }),
    writeFile(join(dir, 'sa.pub'), sa.publicKey),
  ]);
  const [ca, adminCert, adminKey] = await Promise.all(
    ['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  return { admin: { ca: ca!, cert: adminCert!, key: adminKey! } };
}

function kubeConfigFor(server: string, caPem: string, user: User): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testbed', server, caData: b64(caPem), skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: 'testbed', cluster: 'testbed', user: user.name }],
    currentContext: 'testbed',
  });
  return kc;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  log(): string;
}

export function launch(procs: Proc[], name: string, bin: string, args: string[]): Proc {
  // setpriv makes the kernel SIGKILL the process when this one dies, even by SIGKILL.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let done = false;
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (log = (log + s).slice(-16_384)));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => ((done = true), resolve()));
    child.once('error', (err) => ((log += `\n${err.message}`), (done = true), resolve()));
  });
  // A forgotten control plane must not keep the test process alive; the exit hook then kills it.
  child.unref();
  (child.stderr as unknown as { unref(): void } | null)?.unref();
  const proc = { name, child, exited, hasExited: () => done, log: () => log.trim() };
  procs.push(proc);
  return proc;
}

export async function terminate(proc: Proc): Promise<void> {
  if (proc.hasExited()) return;
  proc.child.ref();
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await proc.exited;
  clearTimeout(timer);
}

export async function waitFor(
  what: string,
  proc: Proc,
  deadline: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (proc.hasExited())
      throw new Error(`${proc.name} exited while waiting for ${what}: ${proc.log() || 'no output'}`);
    if (Date.now() > deadline)
      throw new Error(`${proc.name} did not answer ${what} in time: ${proc.log().slice(-4_000) || 'no output'}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A TCP port nothing listens on right now at `address` (the kernel's pick, released at once). */
export function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().unref();
    srv.on('error', reject);
    srv.listen(0, address, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stderr?: 'inherit' | 'pipe' } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', opts.stderr ?? 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-8_192)));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`Cannot run ${file} ${args.join(' ')}: exit ${code}\n${err.trim()}`)),
    );
  });
}

function b64(pem: string): string {
  return Buffer.from(pem).toString('base64');
}
