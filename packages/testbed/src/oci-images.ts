import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './kube-control-plane.ts';

/** An image saved as a docker-archive tar, ready for `ctr images import`. */
export interface ImageArchive {
  /** Fully qualified, as the CRI names it (`docker.io/…`, `registry.k8s.io/…`). */
  name: string;
  path: string;
}

export const CACHE_ROOT = join(homedir(), '.cache', 'instant-dev-logs');
export const IMAGE_CACHE = join(CACHE_ROOT, 'images');
// buildah's own store (layers, build cache); kept between runs so rebuilds reuse layers.
const BUILDAH_ROOT = join(CACHE_ROOT, 'buildah');
const PAUSE_SOURCE = fileURLToPath(new URL('../native/pause.c', import.meta.url));
const BUSYBOX = '/bin/busybox';

/** The sandbox image containerd is configured with (kube-node-config.ts): a static pause built here. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** A few-MB image with a shell, wget, nc and httpd (Debian's busybox-static), for test pods. */
export const BUSYBOX_IMAGE = 'docker.io/instant-logs/testbed-busybox:1';

/** What buildah (ours, and its helpers from Debian) lacks here, as a list of names; empty when nothing. */
export function missingForBuildah(): string[] {
  const missing = missingPrograms(['gcc']);
  if (!existsSync(BUILDAH_CACHED)) missing.push(...missingPrograms(['go']));
  if (!existsSync('/etc/containers/policy.json')) missing.push('/etc/containers/policy.json (buildah)');
  if (!existsSync('/usr/lib/podman/netavark')) missing.push('netavark');
  return missing;
}

/** The programs of `names` found on neither PATH nor the sbin directories. */
export function missingPrograms(names: string[]): string[] {
  const path = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return names.filter((p) => !path.some((d) => existsSync(join(d, p))));
}

// Keep in step with BUILDAH_VERSION in scripts/buildah.sh.
const BUILDAH_CACHED = join(CACHE_ROOT, 'buildah-v1.42.2', 'buildah');
const BUILDAH_SCRIPT = fileURLToPath(new URL('../scripts/buildah.sh', import.meta.url));
let buildahBin: Promise<string> | undefined;

/** The cached buildah binary (scripts/buildah.sh builds it once: Debian 12's cannot read heredocs). */
export function ensureBuildah(): Promise<string> {
  buildahBin ??= run('bash', [BUILDAH_SCRIPT], { stderr: 'inherit' }).then((out) => out.trim().split('\n').pop()!);
  return buildahBin;
}

/**
 * For `buildah from` and `bud`: buildah raises the open-files and process limits to 1048576 by default,
 * which a machine (or container) with lower hard limits refuses; keep the limits this process has.
 */
export const ULIMITS = [
  ['nofile', 'Max open files'],
  ['nproc', 'Max processes'],
].flatMap(([flag, label]) => ['--ulimit', `${flag}=${currentLimit(label!)}`]);

function currentLimit(label: string): string {
  const m = readFileSync('/proc/self/limits', 'utf8').match(new RegExp(`^${label}\\s+(\\S+)\\s+(\\S+)`, 'm'));
  return m ? `${m[1]}:${m[2]}`.replaceAll('unlimited', '-1') : '1024:4096';
}

// Every build of a changed tree leaves its layers (and the cache's intermediate images) in the store.
const STORE_LIMIT_MB = 12_000;

/**
 * Empties the store once it holds more than STORE_LIMIT_MB: the next build starts from the base again
 * (a few minutes) instead of the store growing with every change. Layers in use cannot be told apart
 * from stale ones cheaply, since buildah's layer cache is untagged images.
 */
export async function trimBuildahStore(): Promise<void> {
  const out = await run('du', ['-sm', join(BUILDAH_ROOT, 'root')]).catch(() => '0');
  if (Number(out.split('\t')[0]) <= STORE_LIMIT_MB) return;
  await buildah(['rm', '--all']);
  await buildah(['rmi', '--all', '--force']);
}

/** Runs buildah on the test bed's own store, never the machine's default one. */
export async function buildah(args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const store = ['--root', join(BUILDAH_ROOT, 'root'), '--runroot', join(BUILDAH_ROOT, 'run')];
  return run(await ensureBuildah(), [...store, '--storage-driver', 'overlay', ...args], { cwd: opts.cwd });
}

/**
 * Returns the cached archive for `key`, or builds it with `build(tarPath)` into a temp file first and
 * renames it into place, so an interrupted build never leaves a half-written archive in the cache.
 * A new archive replaces the older ones of the same repository (each is a few hundred MB).
 */
export async function cachedArchive(
  name: string,
  key: string,
  build: (tarPath: string) => Promise<void>,
): Promise<ImageArchive> {
  const slug = (s: string) => s.replace(/[^a-z0-9.-]+/gi, '_');
  const path = join(IMAGE_CACHE, `${slug(name)}-${key.slice(0, 16)}.tar`);
  if (existsSync(path)) return { name, path };
  await mkdir(IMAGE_CACHE, { recursive: true });
  const tmp = await mkdtemp(join(IMAGE_CACHE, '.build-'));
  try {
    await build(join(tmp, 'image.tar'));
    await rename(join(tmp, 'image.tar'), path);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const repository = `${slug(name.slice(0, name.lastIndexOf(':')))}_`;
  for (const f of await readdir(IMAGE_CACHE)) {
    if (f.startsWith(repository) && f.endsWith('.tar') && join(IMAGE_CACHE, f) !== path)
      await rm(join(IMAGE_CACHE, f), { force: true });
  }
  return { name, path };
}

/** Commits a working container as `name` and saves it to `tarPath` (docker-archive keeps the name). */
export async function commitAndSave(container: string, name: string, tarPath: string): Promise<void> {
  await buildah(['commit', '-q', container, name]);
  await buildah(['rm', container]);
  await buildah(['push', '-q', name, `docker-archive:${tarPath}:${name}`]);
}

/** The pause image: pause.c compiled statically (gcc, glibc's libc.a), on an empty base. */
export async function pauseImage(): Promise<ImageArchive> {
  const source = await readFile(PAUSE_SOURCE);
  return cachedArchive(PAUSE_IMAGE, sha256(source), async (tarPath) => {
    const work = await mkdtemp(join(tmpdir(), 'pause-build-'));
    try {
      await run('gcc', ['-static', '-Os', '-s', '-o', join(work, 'pause'), PAUSE_SOURCE]);
      const c = (await buildah(['from', ...ULIMITS, 'scratch'])).trim();
      await buildah(['copy', c, join(work, 'pause'), '/pause']);
      await buildah(['config', '--entrypoint', '["/pause"]', '--user', '65535:65535', c]);
      await commitAndSave(c, PAUSE_IMAGE, tarPath);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** A busybox image: the static binary and its applet links, nothing else. */
export async function busyboxImage(): Promise<ImageArchive> {
  const binary = await readFile(BUSYBOX);
  return cachedArchive(BUSYBOX_IMAGE, sha256(binary), async (tarPath) => {
    const c = (await buildah(['from', ...ULIMITS, 'scratch'])).trim();
    await buildah(['copy', c, BUSYBOX, '/bin/busybox']);
    await buildah(['run', '--isolation', 'chroot', c, '/bin/busybox', '--install', '-s', '/bin']);
    await buildah(['config', '--cmd', '["/bin/sh"]', '--env', 'PATH=/bin', c]);
    await commitAndSave(c, BUSYBOX_IMAGE, tarPath);
  });
}

export function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}
