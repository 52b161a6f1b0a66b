/**
 * The Elasticsearch version this endpoint claims. Shippers read it to pick their wire format:
 * 8.x is what Filebeat, Fluent Bit, Vector and Logstash all speak (the v9 client accepts it too).
 */
export const CLAIMED_VERSION = '8.19.0';

const CLUSTER_NAME = 'instant-dev-logs';
const CLUSTER_UUID = 'instant-dev-logs-collector';

/** Pure: the answer to GET /, which shippers use as a version and health check. */
export function clusterInfo(nodeName: string): Record<string, unknown> {
  return {
    name: nodeName,
    cluster_name: CLUSTER_NAME,
    cluster_uuid: CLUSTER_UUID,
    version: {
      number: CLAIMED_VERSION,
      build_flavor: 'default',
      build_type: 'docker',
      build_hash: 'instant-dev-logs',
      build_date: '2025-01-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/** Pure: GET /_license; Logstash and Beats ask before they use licensed features, and basic turns those off. */
export function licenseInfo(): Record<string, unknown> {
  return {
    license: {
      status: 'active',
      uid: CLUSTER_UUID,
      type: 'basic',
      issue_date: '2025-01-01T00:00:00.000Z',
      issue_date_in_millis: 1735689600000,
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: CLUSTER_NAME,
      issuer: 'elasticsearch',
      start_date_in_millis: -1,
    },
  };
}

/** Pure: GET /_xpack with every feature unavailable, so shippers skip ILM, templates and monitoring. */
export function xpackInfo(): Record<string, unknown> {
  return {
    build: { hash: 'instant-dev-logs', date: '2025-01-01T00:00:00.000Z' },
    license: { uid: CLUSTER_UUID, type: 'basic', mode: 'basic', status: 'active' },
    features: {},
    tagline: 'You know, for X',
  };
}

const COMPATIBLE = /application\/vnd\.elasticsearch\+json\s*;\s*compatible-with\s*=\s*(\d+)/i;

/**
 * Pure: the content type to answer with. Clients that ask for a compatible-with media type get it
 * back for the version they named (Elasticsearch's REST API compatibility); others get plain JSON.
 */
export function responseContentType(accept: string | undefined): string {
  const match = accept ? COMPATIBLE.exec(accept) : null;
  return match ? `application/vnd.elasticsearch+json;compatible-with=${match[1]}` : 'application/json; charset=UTF-8';
}
