export { startClickHouseServer } from './clickhouse-server.ts';
export type { ClickHouseServer, ClickHouseServerOptions, ClickHouseUser } from './clickhouse-server.ts';
export { startKafkaBroker } from './kafka-broker.ts';
export type { KafkaBroker, KafkaBrokerOptions, KafkaTopicOptions } from './kafka-broker.ts';
export { ensureKubeBinaries, freePort, startControlPlane } from './kube-control-plane.ts';
export type { ControlPlane, ControlPlaneOptions } from './kube-control-plane.ts';
export { waitUntil } from './wait.ts';
export { startSyslogNg, runLoggen, type SyslogNg } from './syslog-ng.ts';
export { createTestCertificates, type TestCertificates, type CertAndKey } from './certs.ts';
export { rawConnection, requestHead, type RawConnection, type RawResponse } from './raw-http.ts';
export { startClickHouseCluster } from './clickhouse-cluster.ts';
export type { ClickHouseCluster, ClickHouseClusterOptions } from './clickhouse-cluster.ts';
export { kubeNodeUnavailable, startKubeNode } from './kube-node.ts';
export type { KubeNode, KubeNodeOptions } from './kube-node.ts';
export { busyboxImage, pauseImage, BUSYBOX_IMAGE, PAUSE_IMAGE, type ImageArchive } from './oci-images.ts';
export {
  dockerfileImages,
  imageBuildUnavailable,
  imageName,
  NODE_TARGETS,
  type NodeTarget,
} from './dockerfile-images.ts';
export { nodeBaseImage, NODE_BASE_IMAGE } from './node-image.ts';
