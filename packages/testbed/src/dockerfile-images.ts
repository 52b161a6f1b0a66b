import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NGINX_BASE_IMAGE, nginxBaseImage } from './nginx-image.ts';
import { NODE_BASE_IMAGE, nodeBaseImage } from './node-image.ts';
import {
  buildah,
  cachedArchive,
  missingForBuildah,
  missingPrograms,
  sha256,
  trimBuildahStore,
  ULIMITS,
  type ImageArchive,
} from './oci-images.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The Dockerfile's targets: four on the Node base, and the dashboard on the nginx stand-in (nginx-image.ts). */
export const TARGETS = ['collector', 'processor', 'query', 'operator', 'dashboard'] as const;
export type Target = (typeof TARGETS)[number];

// What .dockerignore keeps out of the build context and so out of the key: a change there rebuilds nothing.
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.ci', '.data', '.cache', 'bench', 'charts', 'crds']);
const SKIP_TOP = new Set(['observability', 'scripts']);
const SKIP_FILE = /(\.test\.ts|\.log|\.md)$/;

/** Why the images cannot be built here (a program missing), or undefined when they can. */
export function imageBuildUnavailable(): string | undefined {
  const missing = [...missingPrograms(['debootstrap', 'npm']), ...missingForBuildah()];
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: apt-get install debootstrap buildah netavark gcc, and Go for scripts/buildah.sh`;
}

/** The name each target's image gets: its tag is the build key, so a pod never runs a stale image. */
export function imageName(target: Target, key: string): string {
  return `docker.io/instantdev/instant-logs-${target}:testbed-${key.slice(0, 12)}`;
}

/**
 * Builds the project's Dockerfile targets with `buildah bud --pull=never` on the locally made bases and
 * saves each as an archive, cached by the Dockerfile, the build context's files and the bases it uses.
 * Shared stages (deps installs, the dashboard's build) are built once through buildah's layer cache.
 */
export async function dockerfileImages(
  targets: readonly Target[] = TARGETS,
  log: (line: string) => void = () => undefined,
): Promise<Record<Target, ImageArchive>> {
  await trimBuildahStore();
  const nodeKey = await nodeBaseImage();
  // The dashboard's page is built on the Node base and served from the nginx one.
  const nginxKey = targets.includes('dashboard') ? await nginxBaseImage() : '';
  const context = await contextHash(REPO_ROOT);
  const out = {} as Record<Target, ImageArchive>;
  for (const target of targets) {
    const key = target === 'dashboard' ? sha256(nodeKey, nginxKey, context) : sha256(nodeKey, context);
    const name = imageName(target, key);
    const t0 = performance.now();
    let built = false;
    out[target] = await cachedArchive(name, key, async (tarPath) => {
      built = true;
      await buildah([
        'bud',
        '--pull=never',
        '--layers',
        '--isolation',
        'chroot',
        ...ULIMITS,
        '--target',
        target,
        '-t',
        name,
        '-f',
        join(REPO_ROOT, 'Dockerfile'),
        REPO_ROOT,
      ]);
      await buildah(['push', '-q', name, `docker-archive:${tarPath}:${name}`]);
    });
    log(`${target}: ${built ? `built in ${Math.round(performance.now() - t0)} ms` : 'cached'} (${name})`);
  }
  return out;
}

/** Hash of the Dockerfile and every file of the build context, by path and content. */
export async function contextHash(root: string): Promise<string> {
  const files = await listContext(root, root);
  files.sort();
  const parts: (string | Buffer)[] = [NODE_BASE_IMAGE, NGINX_BASE_IMAGE];
  for (const f of files) parts.push(f, await readFile(join(root, f)));
  return sha256(...parts);
}

async function listContext(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const rel = relative(root, path);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name === 'e2e' || (dir === root && SKIP_TOP.has(e.name))) continue;
      if (rel === 'packages/testbed') {
        out.push('packages/testbed/package.json');
        continue;
      }
      out.push(...(await listContext(root, path)));
    } else if (e.isFile() && !SKIP_FILE.test(e.name) && (await stat(path)).size < 50_000_000) {
      out.push(rel);
    }
  }
  return out;
}
