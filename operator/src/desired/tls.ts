import type { LogPipeline } from '@instant-logs/schema';
import type { PodAdditions } from './mounts.ts';

/** Where the TLS Secret is mounted in the collector, query and dashboard pods. */
export const TLS_DIR = '/etc/instant-logs/tls';

/** The components that serve HTTPS when the pipeline has TLS. */
export type TlsComponent = 'collector' | 'query' | 'dashboard';

/** Pure: whether the collector, query service and dashboard serve HTTPS. */
export function tlsEnabled(p: LogPipeline): boolean {
  return p.spec.tls.secretName !== undefined;
}

/** Pure: `https` when the pipeline serves TLS, else `http`; for URLs and Service port names. */
export function schemeOf(p: LogPipeline): 'http' | 'https' {
  return tlsEnabled(p) ? 'https' : 'http';
}

/**
 * Pure: the TLS Secret as a volume and the TLS_* env of one service. A volume rather than env so the
 * services see a renewed certificate (e.g. from cert-manager) in place. Only the collector asks for
 * client certificates; the query service and the dashboard serve plain server TLS.
 */
export function tlsAdditions(p: LogPipeline, component: TlsComponent): Partial<PodAdditions> {
  const { secretName, clientAuth } = p.spec.tls;
  if (secretName === undefined) return {};
  const clientCerts = component === 'collector' && clientAuth !== 'none';
  return {
    env: [
      { name: 'TLS_CERT_FILE', value: `${TLS_DIR}/tls.crt` },
      { name: 'TLS_KEY_FILE', value: `${TLS_DIR}/tls.key` },
      ...(clientCerts
        ? [
            { name: 'TLS_CLIENT_CA_FILE', value: `${TLS_DIR}/ca.crt` },
            { name: 'TLS_CLIENT_AUTH', value: clientAuth },
          ]
        : []),
    ],
    volumes: [{ name: 'tls', secret: { secretName } }],
    volumeMounts: [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }],
  };
}

/**
 * Pure: how the kubelet probes a service. HTTPS when it serves TLS (the kubelet does not verify the
 * certificate); a TCP connect when the collector requires client certificates, which the kubelet
 * cannot present, so an HTTPS probe would fail the handshake.
 */
export function probeKind(p: LogPipeline, component: TlsComponent): 'http' | 'https' | 'tcp' {
  if (!tlsEnabled(p)) return 'http';
  return component === 'collector' && p.spec.tls.clientAuth === 'require' ? 'tcp' : 'https';
}
