import { PORTS } from './context.ts';

/** Where the managed ClickHouse keeps everything it writes: the persistent volume. */
export const CLICKHOUSE_DATA_DIR = '/var/lib/clickhouse';

/** The environment variable the server reads the pipeline user's password from (`from_env`). */
export const PASSWORD_ENV = 'INSTANT_LOGS_PASSWORD';

/**
 * Server settings the log store relies on. The server keeps no skip-index blocks in memory by default,
 * so every search for an id would read and decompress the message's bloom filters of its whole range
 * again; 256 MiB holds them for about 60 million records (the embedded engine sets the same).
 */
export const SERVER_TUNING = `<index_uncompressed_cache_size>268435456</index_uncompressed_cache_size>`;

/**
 * A config.d file over the image's config.xml. It replaces the image's own config.d (and so its
 * docker_related_config.xml): the server listens on all IPv4 addresses, writes only under the data
 * volume, and logs to the console rather than to files in the read-only root filesystem. The MySQL,
 * PostgreSQL and interserver ports go: nothing uses them and the NetworkPolicy would block them anyway.
 * Element attributes `remove`/`replace`: https://clickhouse.com/docs/operations/configuration-files
 */
export const SERVER_CONFIG = `<clickhouse>
    <listen_host>0.0.0.0</listen_host>
    <http_port>${PORTS.clickhouseHttp}</http_port>
    <tcp_port>${PORTS.clickhouseNative}</tcp_port>
    <mysql_port remove="1"/>
    <postgresql_port remove="1"/>
    <interserver_http_port remove="1"/>
    <path>${CLICKHOUSE_DATA_DIR}/</path>
    <tmp_path>${CLICKHOUSE_DATA_DIR}/tmp/</tmp_path>
    <user_files_path>${CLICKHOUSE_DATA_DIR}/user_files/</user_files_path>
    <format_schema_path>${CLICKHOUSE_DATA_DIR}/format_schemas/</format_schema_path>
    ${SERVER_TUNING}
    <logger>
        <level>information</level>
        <console>1</console>
        <log remove="1"/>
        <errorlog remove="1"/>
    </logger>
</clickhouse>
`;

/**
 * A users.d file: the pipeline's user, its password from the environment (the Secret, never this
 * ConfigMap), reachable from the pod network; the image's passwordless `default` user is kept to
 * the pod itself (the image's entrypoint, which would do that, is bypassed).
 */
export function usersConfig(user: string): string {
  return `<clickhouse>
    <users>
        <default>
            <networks replace="1">
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
        </default>
        <${user}>
            <password from_env="${PASSWORD_ENV}"/>
            <networks>
                <ip>::/0</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </${user}>
    </users>
</clickhouse>
`;
}
