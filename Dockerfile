# syntax=docker/dockerfile:1.7
# One Dockerfile, one target per deployable: docker build --target <collector|processor|query|operator|dashboard> .
# The targets share the base image, the lockfile install steps and the layer cache; each image holds
# only its own workspace's production dependencies. Node 24 runs the TypeScript sources directly
# (type stripping), so the services need no compile step. Keep NODE_VERSION in step with the Makefile.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-slim AS base
WORKDIR /app
# The uid/gid the operator's pod security context runs every container as.
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
ENV NODE_ENV=production
# check-entrypoint <main.ts>: loads every module the entry point imports and stops at its
# configuration check (PORT is invalid on purpose), so a missing module fails the build, not the pod.
COPY --chmod=755 <<'EOF' /usr/local/bin/check-entrypoint
#!/bin/sh
out=$(env PORT=not-a-port node "$1" 2>&1) && { echo "$1 started with PORT=not-a-port"; exit 1; }
case "$out" in *"Invalid configuration"*) echo "$1 loads" ;; *) echo "$out"; exit 1 ;; esac
EOF

# The package manifests alone, so the install layers are rebuilt when dependencies change, not sources.
FROM base AS manifests
WORKDIR /src
COPY . .
RUN find . -path ./node_modules -prune -o \( -name package.json -o -name package-lock.json \) -exec cp --parents {} /app/ \;

FROM base AS installer
COPY --from=manifests /app/ ./
# npm ci --omit=dev --workspace still installs the devDependencies of the workspaces it links
# (npm/cli#6670: here the testbed, with chdb and a Kubernetes client), so keep only the packages
# `npm ls` counts in the workspace's production tree. --omit=optional: the production images never
# carry the 543 MB chdb engine (@chdb/lib-*), an optional dependency of chdb.
COPY --chmod=755 <<'EOF' /usr/local/bin/install-workspace
#!/bin/sh
set -eu
npm ci --omit=dev --omit=optional --workspace "$1" --no-audit --no-fund
npm ls --omit=dev --omit=optional --all --parseable --workspace "$1" > /tmp/keep
for dir in node_modules/[!@.]* node_modules/@*/*; do
  grep -qxF "$PWD/$dir" /tmp/keep || rm -rf "$dir"
done
rmdir node_modules/@* 2>/dev/null || true
EOF

FROM installer AS collector-deps
RUN --mount=type=cache,target=/root/.npm install-workspace services/collector

FROM installer AS processor-deps
RUN --mount=type=cache,target=/root/.npm install-workspace services/processor

FROM installer AS query-deps
RUN --mount=type=cache,target=/root/.npm install-workspace services/query

FROM installer AS operator-deps
RUN --mount=type=cache,target=/root/.npm install-workspace operator

# The dashboard's production build (Vite), served by the query service at / and by the dashboard image.
FROM base AS dashboard-build
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --include=dev --workspace dashboard --no-audit --no-fund
COPY packages/ packages/
COPY dashboard/ dashboard/
RUN npm run build --workspace dashboard

FROM base AS collector
COPY --from=collector-deps /app/ ./
COPY packages/ packages/
COPY services/collector/ services/collector/
RUN check-entrypoint services/collector/src/main.ts
USER 10001:10001
ENV PORT=8081
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# One GC thread per isolate: with the ingest thread beside the event loop, V8's parallel GC helpers
# cost more CPU than they save (README, "Tests": 15.9–17.0 vs 18.4 µs a record).
CMD ["node", "--single-threaded-gc", "--initial-heap-size=128", "services/collector/src/main.ts"]

# Also the image of the operator's setup Job: node services/processor/src/setup/main.ts
FROM base AS processor
COPY --from=processor-deps /app/ ./
COPY packages/ packages/
COPY services/processor/ services/processor/
RUN check-entrypoint services/processor/src/main.ts && check-entrypoint services/processor/src/setup/main.ts
USER 10001:10001
ENV PORT=8083
EXPOSE 8083
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--single-threaded-gc", "--initial-heap-size=128", "services/processor/src/main.ts"]

FROM base AS query
COPY --from=query-deps /app/ ./
COPY packages/ packages/
COPY services/query/ services/query/
# Where services/query/src/routes/dashboard.ts looks for the page by default.
COPY --from=dashboard-build /app/dashboard/dist/ dashboard/dist/
RUN check-entrypoint services/query/src/main.ts
USER 10001:10001
ENV PORT=8082
EXPOSE 8082
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/query/src/main.ts"]

FROM base AS operator
COPY --from=operator-deps /app/ ./
COPY packages/ packages/
COPY operator/ operator/
RUN check-entrypoint operator/src/main.ts
USER 10001:10001
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "operator/src/main.ts"]

# The operator's dashboard Deployment (env HOST, PORT, QUERY_URL, and TLS_CERT_FILE with TLS_KEY_FILE when the
# LogPipeline has TLS): the page as static files, and /api (with the live-tail WebSocket) proxied to the query
# service. nginx writes only under /tmp.
FROM nginxinc/nginx-unprivileged:1.29-alpine AS dashboard
COPY --from=dashboard-build /app/dashboard/dist/ /usr/share/nginx/html/
COPY <<'EOF' /etc/nginx/dashboard.conf.template
worker_processes auto;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  # The query service logs every API request; opening /dev/stdout needs a writable stdout as a non-root user.
  access_log off;
  server_tokens off;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    # Both empty for plain HTTP; dashboard-entrypoint fills them when TLS_CERT_FILE is set.
    listen ${PORT}${LISTEN_TLS};
    ${TLS_DIRECTIVES}
    root /usr/share/nginx/html;
    location = /healthz { access_log off; default_type text/plain; return 200 "ok\n"; }
    location = /readyz { access_log off; default_type text/plain; return 200 "ok\n"; }
    # The operator's ServiceMonitor scrapes every component; nginx has no metrics of its own.
    location = /metrics { access_log off; default_type text/plain; return 200 ""; }
    location /api/ {
      proxy_pass ${QUERY_URL};
      proxy_http_version 1.1;
      # SNI for an https:// QUERY_URL; nginx sends none by default.
      proxy_ssl_server_name on;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      # With its port: the query service compares a WebSocket's Origin with the Host the browser used.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 1h;
    }
    # The page gets the hardening the query service sends with it (packages/service-kit/src/security-headers.ts);
    # /api answers carry the query service's own headers, so they are not added twice.
    location / {
      add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Referrer-Policy no-referrer always;
      add_header X-Frame-Options DENY always;
      add_header Cross-Origin-Opener-Policy same-origin always;
      try_files $uri /index.html;
    }
  }
}
EOF

# Renders the template from the environment and runs nginx in the foreground. The TLS settings come as the
# same TLS_CERT_FILE/TLS_KEY_FILE the collector and query service read, so the operator treats all three alike.
COPY --chmod=755 <<'EOF' /usr/local/bin/dashboard-entrypoint
#!/bin/sh
set -eu
: "${QUERY_URL:?set QUERY_URL to the query service, e.g. http://logs-query:8082}"
LISTEN_TLS=''
TLS_DIRECTIVES=''
if [ -n "${TLS_CERT_FILE:-}" ]; then
  : "${TLS_KEY_FILE:?set TLS_KEY_FILE to the key of TLS_CERT_FILE}"
  LISTEN_TLS=' ssl'
  TLS_DIRECTIVES="ssl_certificate ${TLS_CERT_FILE}; ssl_certificate_key ${TLS_KEY_FILE}; ssl_protocols TLSv1.2 TLSv1.3;"
fi
export LISTEN_TLS TLS_DIRECTIVES
# Only these names: nginx's own $variables in the template must stay as they are.
envsubst '${PORT} ${QUERY_URL} ${LISTEN_TLS} ${TLS_DIRECTIVES}' < /etc/nginx/dashboard.conf.template > /tmp/nginx.conf
if [ -n "${TLS_CERT_FILE:-}" ]; then
  # kubelet renews a mounted Secret in place, but nginx reads certificates only when it (re)loads.
  (
    last=$(cat "$TLS_CERT_FILE" "$TLS_KEY_FILE" | cksum)
    while sleep "${TLS_RELOAD_SECONDS:-30}"; do
      now=$(cat "$TLS_CERT_FILE" "$TLS_KEY_FILE" 2>/dev/null | cksum) || continue
      if [ "$now" != "$last" ] && nginx -e stderr -c /tmp/nginx.conf -s reload; then last=$now; fi
    done
  ) &
fi
exec nginx -e stderr -c /tmp/nginx.conf -g 'daemon off;'
EOF

USER 10001:10001
ENV PORT=8080
EXPOSE 8080
# busybox wget: --no-check-certificate because the certificate names the Service, not 127.0.0.1.
HEALTHCHECK --interval=15s --timeout=3s CMD ["sh", "-c", "wget -q --no-check-certificate -O /dev/null http${TLS_CERT_FILE:+s}://127.0.0.1:${PORT}/healthz"]
ENTRYPOINT ["/usr/local/bin/dashboard-entrypoint"]
