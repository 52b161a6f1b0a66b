import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { debianRootfs } from './node-image.ts';
import { buildah, cachedArchive, sha256, ULIMITS, type ImageArchive } from './oci-images.ts';

/** The Dockerfile's dashboard `FROM`, fully qualified as buildah resolves it. */
export const NGINX_BASE_IMAGE = 'docker.io/nginxinc/nginx-unprivileged:1.29-alpine';
// nginx and what the dashboard stage's entry point and health check call: envsubst, wget (sh, cat, cksum
// and sleep are in every Debian rootfs).
const INCLUDE = ['ca-certificates', 'nginx', 'gettext-base', 'wget'];
const KEY_LABEL = 'io.instant-logs.testbed.key';

// The official image's contract: nginx as uid 101 on port 8080, the page in /usr/share/nginx/html, every
// file nginx writes under /tmp, its logs on stdout and stderr, SIGQUIT for a graceful stop.
const NGINX_CONF = `worker_processes auto;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  server {
    listen 8080;
    root /usr/share/nginx/html;
    index index.html;
  }
}
`;
const SETUP = [
  'groupadd --system --gid 101 nginx',
  'useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx',
  // nginx opens its compiled-in error log before it reads any configuration.
  'ln -sf /dev/stderr /var/log/nginx/error.log',
  'ln -sf /dev/stdout /var/log/nginx/access.log',
  'rm -f /etc/nginx/sites-enabled/default',
].join(' && ');

/**
 * Makes a stand-in for `nginxinc/nginx-unprivileged:1.29-alpine`, which no registry here gives: Debian's
 * nginx (1.22) on a debootstrap rootfs, run as uid 101 on port 8080 like the official image. Saved as an
 * archive keyed by its inputs and loaded into the buildah store when the store lacks this build of it.
 */
export async function nginxBaseImage(): Promise<string> {
  const rootfs = await debianRootfs(INCLUDE);
  const key = sha256(rootfs, NGINX_CONF, SETUP).slice(0, 16);
  const archive = await cachedArchive(NGINX_BASE_IMAGE, key, (tarPath) => build(rootfs, key, tarPath));
  if ((await storedKey()) !== key) await load(archive);
  return key;
}

async function build(rootfs: string, key: string, tarPath: string): Promise<void> {
  const conf = join(dirname(tarPath), 'nginx.conf');
  await writeFile(conf, NGINX_CONF);
  const c = (await buildah(['from', ...ULIMITS, 'scratch'])).trim();
  await buildah(['add', c, rootfs, '/']);
  await buildah(['run', '--isolation', 'chroot', c, 'sh', '-c', SETUP]);
  await buildah(['copy', c, conf, '/etc/nginx/nginx.conf']);
  await buildah([
    'config',
    '--user',
    '101',
    '--port',
    '8080',
    '--stop-signal',
    'SIGQUIT',
    '--cmd',
    '["nginx", "-g", "daemon off;"]',
    '--label',
    `${KEY_LABEL}=${key}`,
    c,
  ]);
  await buildah(['commit', '-q', '--rm', c, NGINX_BASE_IMAGE]);
  await buildah(['push', '-q', NGINX_BASE_IMAGE, `docker-archive:${tarPath}:${NGINX_BASE_IMAGE}`]);
}

async function storedKey(): Promise<string | undefined> {
  const format = `{{index .OCIv1.Config.Labels "${KEY_LABEL}"}}`;
  const out = await buildah(['inspect', '--type', 'image', '--format', format, NGINX_BASE_IMAGE]).catch(() => '');
  return out.trim() || undefined;
}

async function load(archive: ImageArchive): Promise<void> {
  const id = (await buildah(['pull', '-q', `docker-archive:${archive.path}`])).trim().split('\n').pop()!;
  await buildah(['tag', id, NGINX_BASE_IMAGE]);
}
