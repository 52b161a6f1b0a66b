import type { LogPipeline } from '@instant-logs/schema';
import { INTERSERVER_PORT, managedCluster } from './clickhouse-cluster.ts';
import type { KubeObject } from '../kube/client.ts';
import { syslogPorts } from './collector.ts';
import { PORTS } from './context.ts';
import { KEEPER_CLIENT_PORT, KEEPER_RAFT_PORT, managedKeeper } from './keeper.ts';
import { PIPELINE_LABEL, selectorLabels, type Component } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';

// Written out rather than client-node's V1NetworkPolicyIngressRule, which spells `from` as `_from`.
interface IngressRule {
  from?: { podSelector: { matchLabels: Record<string, string> } }[];
  ports: { port: number; protocol?: string }[];
}

/**
 * Pure: one ingress NetworkPolicy per component that listens. ClickHouse takes connections only
 * from this pipeline's pods; the collector (with its syslog ports), query service and dashboard
 * from anywhere on their port; the processor only on its port, which serves nothing but health and
 * metrics. Egress is not restricted. policyTypes is left to the API server, which defaults it to
 * Ingress for these rules.
 */
export function networkPolicies(p: LogPipeline): KubeObject[] {
  const names = namesOf(p);
  const anyone = (port: number): IngressRule[] => [{ ports: [{ port }] }];
  const policy = (name: string, component: Component, ingress: IngressRule[]): KubeObject => {
    const spec = { podSelector: { matchLabels: selectorLabels(p, component) }, ingress };
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: objectMeta(p, name, component),
      spec,
    };
  };
  const policies = [
    policy(names.collector, 'collector', [
      {
        ports: [
          { port: PORTS.collector },
          ...syslogPorts(p).containerPorts.map(({ containerPort, protocol }) => ({ port: containerPort, protocol })),
        ],
      },
    ]),
    policy(names.processor, 'processor', anyone(PORTS.processor)),
  ];
  if (p.spec.clickhouse.managed) {
    policies.push(
      policy(names.clickhouse, 'clickhouse', [
        {
          from: [{ podSelector: { matchLabels: { [PIPELINE_LABEL]: p.metadata.name } } }],
          ports: [
            { port: PORTS.clickhouseHttp },
            { port: PORTS.clickhouseNative },
            // Replicas of a shard fetch parts from each other.
            ...(managedCluster(p)?.replicated ? [{ port: INTERSERVER_PORT }] : []),
          ],
        },
      ]),
    );
  }
  if (managedKeeper(p)) {
    // ClickHouse servers are clients; the Keeper servers replicate to each other. Both carry the pipeline label.
    policies.push(
      policy(names.keeper, 'keeper', [
        {
          from: [{ podSelector: { matchLabels: { [PIPELINE_LABEL]: p.metadata.name } } }],
          ports: [{ port: KEEPER_CLIENT_PORT }, { port: KEEPER_RAFT_PORT }],
        },
      ]),
    );
  }
  if (p.spec.query.enabled) policies.push(policy(names.query, 'query', anyone(PORTS.query)));
  if (p.spec.dashboard.enabled) policies.push(policy(names.dashboard, 'dashboard', anyone(PORTS.dashboard)));
  return policies;
}
