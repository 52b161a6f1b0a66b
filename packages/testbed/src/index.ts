export { startClickHouseServer } from './clickhouse-server.ts';
export type { ClickHouseServer, ClickHouseServerOptions, ClickHouseUser } from './clickhouse-server.ts';
export { startKafkaBroker } from './kafka-broker.ts';
export type { KafkaBroker, KafkaBrokerOptions, KafkaTopicOptions } from './kafka-broker.ts';
export { ensureKubeBinaries, startControlPlane } from './kube-control-plane.ts';
export type { ControlPlane, ControlPlaneOptions } from './kube-control-plane.ts';
export { waitUntil } from './wait.ts';
export { startSyslogNg, runLoggen, type SyslogNg } from './syslog-ng.ts';
export { createTestCertificates, type TestCertificates, type CertAndKey } from './certs.ts';
