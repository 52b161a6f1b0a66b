/**
 * What `desired()` needs besides the LogPipeline: facts the reconciler observed or decided, so the
 * function itself stays pure (no I/O, no clock, no randomness).
 */
export interface DesiredContext {
  /** Whether the cluster serves these optional APIs (their CRDs are installed). */
  capabilities: {
    /** keda.sh/v1alpha1 ScaledObject: autoscale the processor on consumer lag, else a CPU HPA. */
    keda: boolean;
    /** monitoring.coreos.com/v1 ServiceMonitor: let Prometheus Operator scrape the services. */
    prometheusOperator: boolean;
    /** The KafkaTopic version Strimzi serves: v1 since Strimzi 0.49, v1beta2 before. Default v1. */
    kafkaTopicVersion?: 'v1' | 'v1beta2';
  };
  /**
   * Password of the managed ClickHouse's user, generated once by the reconciler and kept in the
   * Secret `<name>-clickhouse-credentials`. Undefined for an external ClickHouse.
   */
  clickhousePassword?: string;
}

/** Ports the services listen on inside their containers (see each service's config.ts). */
export const PORTS = Object.freeze({
  collector: 8081,
  query: 8082,
  processor: 8083,
  dashboard: 8080,
  clickhouseHttp: 8123,
  clickhouseNative: 9000,
  /** PROBE_PORT of the collector and query service: /healthz and /readyz from a thread of their own. */
  probe: 8090,
});

/** The field manager of every server-side apply by the operator. */
export const FIELD_MANAGER = 'instant-logs-operator';
