import type { LogPipeline } from '@instant-logs/schema';
import type { V1ContainerPort, V1EnvVar, V1ServicePort } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { authAdditions } from './auth.ts';
import { PORTS } from './context.ts';
import { disruptionBudget } from './disruption.ts';
import { combine } from './mounts.ts';
import { namesOf } from './names.ts';
import { sharedSettingsEnv } from './pipeline-config.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { tenantsAdditions } from './tenants.ts';
import { schemeOf, tlsAdditions } from './tls.ts';
import { deployment, service } from './workload.ts';
import { telemetryEnv } from './telemetry.ts';

/** Pure: the syslog listeners as env, container ports and Service ports; nothing when syslog is off. */
export function syslogPorts(p: LogPipeline): {
  env: V1EnvVar[];
  containerPorts: V1ContainerPort[];
  servicePorts: V1ServicePort[];
} {
  const { enabled, tcpPort, udpPort, tenant } = p.spec.collector.syslog;
  if (!enabled) return { env: [], containerPorts: [], servicePorts: [] };
  return {
    env: [
      { name: 'SYSLOG_TCP_PORT', value: String(tcpPort) },
      { name: 'SYSLOG_UDP_PORT', value: String(udpPort) },
      { name: 'SYSLOG_TENANT', value: tenant },
    ],
    containerPorts: [
      { name: 'syslog-tcp', containerPort: tcpPort, protocol: 'TCP' },
      { name: 'syslog-udp', containerPort: udpPort, protocol: 'UDP' },
    ],
    servicePorts: [
      { name: 'syslog-tcp', port: tcpPort, targetPort: tcpPort, protocol: 'TCP' },
      { name: 'syslog-udp', port: udpPort, targetPort: udpPort, protocol: 'UDP' },
    ],
  };
}

/** Pure: the collector's Deployment, Service and (with more than one replica) PodDisruptionBudget. */
export function collector(p: LogPipeline): KubeObject[] {
  const { replicas, resources, service: svc } = p.spec.collector;
  const name = namesOf(p).collector;
  const shared = sharedSettingsEnv(p);
  const syslog = syslogPorts(p);
  const extra = combine(authAdditions(p), tlsAdditions(p, 'collector'), tenantsAdditions(p));
  const main = container(p, {
    name: 'collector',
    image: p.spec.images.collector,
    resources,
    port: PORTS.collector,
    probePort: PORTS.probe,
    extraPorts: syslog.containerPorts,
    envFrom: shared.envFrom,
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(PORTS.collector) },
      ...extra.env,
      ...syslog.env,
      ...telemetryEnv(p, 'collector'),
    ],
    volumeMounts: extra.volumeMounts,
  });
  const template = podTemplate(p, 'collector', podSpec([main], { volumes: extra.volumes }), {
    ...shared.annotations,
    ...extra.annotations,
  });
  // The port is named for its scheme so a ServiceMonitor endpoint can pick HTTPS for it.
  const ports = [{ name: schemeOf(p), port: svc.port, targetPort: PORTS.collector }, ...syslog.servicePorts];
  return [
    deployment(p, name, 'collector', template, replicas),
    service(p, name, 'collector', ports, { type: svc.type }),
    ...disruptionBudget(p, name, 'collector', replicas),
  ];
}
