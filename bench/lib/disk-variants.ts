// Bench-only DDL: the logs table of migration 1 with one choice changed at a time, for
// bench/disk-per-record.ts. Not the product's schema; the migrations are.

interface Choices {
  columns: Record<string, string>;
  indexes: Record<string, string>;
  orderBy: string;
  settings: string[];
}

const BASE: Choices = {
  columns: {
    tenant: 'LowCardinality(String)',
    timestamp: `DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1))`,
    observed_timestamp: `DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1))`,
    id: 'String CODEC(ZSTD(1))',
    service: 'LowCardinality(String)',
    level: 'LowCardinality(String)',
    severity_text: 'LowCardinality(String)',
    severity_number: 'UInt8',
    body: 'String CODEC(ZSTD(1))',
    attributes: 'Map(LowCardinality(String), String) CODEC(ZSTD(1))',
    resource: 'Map(LowCardinality(String), String) CODEC(ZSTD(1))',
    trace_id: 'String CODEC(ZSTD(1))',
    span_id: 'String CODEC(ZSTD(1))',
    retention_days: 'UInt16 DEFAULT 30',
    ingested_at: `DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta(8), ZSTD(1))`,
  },
  indexes: {
    idx_body: 'lower(body) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1',
    idx_attribute_keys: 'mapKeys(attributes) TYPE bloom_filter(0.01) GRANULARITY 1',
    idx_attribute_values: 'mapValues(attributes) TYPE bloom_filter(0.01) GRANULARITY 1',
    idx_resource_keys: 'mapKeys(resource) TYPE bloom_filter(0.01) GRANULARITY 1',
    idx_resource_values: 'mapValues(resource) TYPE bloom_filter(0.01) GRANULARITY 1',
    idx_trace_id: 'trace_id TYPE bloom_filter(0.001) GRANULARITY 1',
  },
  orderBy: 'tenant, service, timestamp',
  settings: ['non_replicated_deduplication_window = 10000'],
};

/** Pure: the CREATE TABLE of `choices` as database `db`'s logs table. */
function ddl(db: string, c: Choices): string {
  const columns = Object.entries(c.columns).map(([name, type]) => `${name} ${type}`);
  const indexes = Object.entries(c.indexes).map(([name, def]) => `INDEX ${name} ${def}`);
  return `CREATE TABLE ${db}.logs (${[...columns, ...indexes].join(',\n')})
    ENGINE = MergeTree PARTITION BY toDate(timestamp) ORDER BY (${c.orderBy})
    TTL toDateTime(timestamp) + toIntervalDay(retention_days)
    SETTINGS ${c.settings.join(', ')}`;
}

type Change = (c: Choices) => Choices;
const columns =
  (changes: Record<string, string>): Change =>
  (c) => ({ ...c, columns: { ...c.columns, ...changes } });
const dropIndexes =
  (...names: string[]): Change =>
  (c) => ({
    ...c,
    indexes: Object.fromEntries(Object.entries(c.indexes).filter(([n]) => !names.includes(n))),
  });
const indexes =
  (changes: Record<string, string>): Change =>
  (c) => ({ ...c, indexes: { ...c.indexes, ...changes } });
const orderBy =
  (key: string): Change =>
  (c) => ({ ...c, orderBy: key });
const settings =
  (...s: string[]): Change =>
  (c) => ({ ...c, settings: [...c.settings, ...s] });
const all =
  (...changes: Change[]): Change =>
  (c) =>
    changes.reduce((acc, f) => f(acc), c);

const zstd = (level: number) =>
  columns({
    id: `String CODEC(ZSTD(${level}))`,
    body: `String CODEC(ZSTD(${level}))`,
    attributes: `Map(LowCardinality(String), String) CODEC(ZSTD(${level}))`,
    resource: `Map(LowCardinality(String), String) CODEC(ZSTD(${level}))`,
  });

// The message without its tokens that hold a digit, as migration 3 indexes it (idx_words).
const WORDS = `replaceRegexpAll(lower(body), '[0-9a-z\\\\x{80}-\\\\x{10FFFF}]*[0-9][0-9a-z\\\\x{80}-\\\\x{10FFFF}]*', ' ')`;

export interface Variant {
  name: string;
  description: string;
  /** The CREATE TABLE, or '' for the migrations' table. */
  ddl: (db: string) => string;
  /** Statements run on the migrations' table after it is built (only with an empty ddl). */
  afterMigrate?: (db: string) => string[];
}

const variant = (name: string, description: string, change: Change): Variant => ({
  name,
  description,
  ddl: (db) => ddl(db, change(BASE)),
});

// The migrations' table changed in place, as a migration could (merge settings are not read-only, indexes can go).
const onBase = (name: string, description: string, afterMigrate: (db: string) => string[]): Variant => ({
  name,
  description,
  ddl: () => '',
  afterMigrate,
});
const baseSettings =
  (...settings: string[]) =>
  (db: string) =>
    settings.map((s) => `ALTER TABLE ${db}.logs MODIFY SETTING ${s}`);

/** `base` is the real migration; the others each change one thing against it (or combine winners). */
export const VARIANTS: Variant[] = [
  { name: 'base', description: 'the migrations as shipped (store.migrate)', ddl: () => '' },
  variant('schema2', 'the logs table of schema versions 1 and 2 (main before migration 3)', all()),
  variant('id-uuid', 'id as UUID (16 bytes) instead of its 36-character text', columns({ id: 'UUID CODEC(ZSTD(1))' })),
  variant('zstd3', 'ZSTD(3) on id, body, attributes, resource', zstd(3)),
  variant('zstd6', 'ZSTD(6) on id, body, attributes, resource', zstd(6)),
  variant('no-text-index', 'without idx_body', dropIndexes('idx_body')),
  variant(
    'no-blooms',
    'without the five bloom filters',
    dropIndexes(
      'idx_attribute_keys',
      'idx_attribute_values',
      'idx_resource_keys',
      'idx_resource_values',
      'idx_trace_id',
    ),
  ),
  variant(
    'times-dd',
    'observed_timestamp and ingested_at DoubleDelta + ZSTD(1), timestamp DoubleDelta',
    columns({
      timestamp: `DateTime64(9, 'UTC') CODEC(DoubleDelta, ZSTD(1))`,
      observed_timestamp: `DateTime64(9, 'UTC') CODEC(DoubleDelta, ZSTD(1))`,
      ingested_at: `DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(DoubleDelta, ZSTD(1))`,
    }),
  ),
  variant('order-level', 'ORDER BY (tenant, service, level, timestamp)', orderBy('tenant, service, level, timestamp')),
  variant('granule-32k', 'index_granularity 32768', settings('index_granularity = 32768')),
  variant(
    'compact',
    'compact parts only (min_bytes_for_wide_part 1 GiB)',
    settings('min_bytes_for_wide_part = 1073741824'),
  ),
  variant(
    'text-index-g64',
    'idx_body GRANULARITY 64',
    indexes({ idx_body: 'lower(body) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 64' }),
  ),
  variant(
    'tokenbf',
    'idx_body as a token bloom filter per granule, tokenbf_v1(32768, 3, 0), instead of the text index',
    indexes({ idx_body: 'lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1' }),
  ),
  variant(
    'attrs-zstd6',
    'attributes ZSTD(6)',
    columns({ attributes: 'Map(LowCardinality(String), String) CODEC(ZSTD(6))' }),
  ),
  variant(
    'small-ints',
    'level, severity_text, severity_number, retention_days ZSTD(1)',
    columns({
      level: 'LowCardinality(String) CODEC(ZSTD(1))',
      severity_text: 'LowCardinality(String) CODEC(ZSTD(1))',
      severity_number: 'UInt8 CODEC(ZSTD(1))',
      retention_days: 'UInt16 DEFAULT 30 CODEC(ZSTD(1))',
    }),
  ),
  variant(
    'attrs-zstd3',
    'attributes ZSTD(3)',
    columns({ attributes: 'Map(LowCardinality(String), String) CODEC(ZSTD(3))' }),
  ),
  variant(
    'split-text-index',
    'idx_body as tokenbf_v1(32768, 3, 0), and a text index on the words without digits (idx_words)',
    indexes({
      idx_body: 'lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1',
      idx_words: `${WORDS} TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1`,
    }),
  ),
  variant(
    'v3',
    'split-text-index + attrs-zstd3 + small-ints',
    all(
      indexes({
        idx_body: 'lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1',
        idx_words: `${WORDS} TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1`,
      }),
      columns({ attributes: 'Map(LowCardinality(String), String) CODEC(ZSTD(3))' }),
      columns({
        level: 'LowCardinality(String) CODEC(ZSTD(1))',
        severity_text: 'LowCardinality(String) CODEC(ZSTD(1))',
        severity_number: 'UInt8 CODEC(ZSTD(1))',
        retention_days: 'UInt16 DEFAULT 30 CODEC(ZSTD(1))',
      }),
    ),
  ),
  variant(
    'attrs-lc-values',
    'attributes Map(LowCardinality(String), LowCardinality(String)) ZSTD(3): values dictionary-coded',
    columns({ attributes: 'Map(LowCardinality(String), LowCardinality(String)) CODEC(ZSTD(3))' }),
  ),
  variant(
    'attrs-json',
    'attributes as the JSON type ZSTD(3): a subcolumn per key (without the two Map bloom filters, which need a Map)',
    all(columns({ attributes: 'JSON CODEC(ZSTD(3))' }), dropIndexes('idx_attribute_keys', 'idx_attribute_values')),
  ),
  onBase(
    'merge-base-10',
    'merge_selector_base 10 (wider merges, less rewriting): what migration 6 ships, so the same as base since',
    baseSettings('merge_selector_base = 10'),
  ),
  onBase(
    'merge-no-lowering',
    'the shipped table, without the heuristic that narrows merges as parts pile up',
    baseSettings('merge_selector_enable_heuristic_to_lower_max_parts_to_merge_at_once = 0'),
  ),
  onBase(
    'merge-wide',
    'merge_selector_base 10 and without the heuristic that narrows merges',
    baseSettings('merge_selector_base = 10', 'merge_selector_enable_heuristic_to_lower_max_parts_to_merge_at_once = 0'),
  ),
  onBase(
    'compact-fresh-parts',
    'the shipped table with min_bytes_for_wide_part 32 MiB instead of 10: inserts of 40k rows written Compact, one file for every column',
    baseSettings('min_bytes_for_wide_part = 33554432'),
  ),
  onBase(
    'fsync-inserts',
    'the shipped table with fsync_after_insert and fsync_part_directory: an insert returns once its part is on disk',
    baseSettings('fsync_after_insert = 1', 'fsync_part_directory = 1'),
  ),
  onBase(
    'fsync-compact',
    'fsync-inserts with fresh parts written Compact (min_bytes_for_wide_part 32 MiB): a few files to sync, not one per column',
    baseSettings('fsync_after_insert = 1', 'fsync_part_directory = 1', 'min_bytes_for_wide_part = 33554432'),
  ),
  onBase('no-words-index', 'the shipped table without idx_words: words are found by the token bloom filter', (db) => [
    `ALTER TABLE ${db}.logs DROP INDEX idx_words`,
  ]),
];
