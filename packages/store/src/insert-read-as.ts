// What chdb's own insert accepts as a name; the HTTP transport holds names to the same.
const NAME = /^[A-Za-z0-9_]+$/;
const TABLE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/** Pure: whether a column or setting name may be spliced into SQL as it is. */
export const isPlainName = (name: string): boolean => NAME.test(name);
/** Pure: whether a (database-qualified) table name may be spliced into SQL as it is. */
export const isPlainTable = (table: string): boolean => TABLE.test(table);
// Types come from this package, never from a request; still, only these characters reach the SQL text.
const TYPE = /^[A-Za-z0-9_(), ']+$/;

/** Pure: a single-quoted ClickHouse string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * Pure: the quoted structure (`name Type, …`) rows are read as, for `input()` or `file()`. Throws on a name or
 * type that is not plain, since they are spliced into SQL.
 */
export function readAsStructure(columns: readonly string[], readAs: readonly string[]): string {
  if (columns.length === 0 || columns.length !== readAs.length)
    throw new Error(`${columns.length} columns but ${readAs.length} types to read them as`);
  const bad = columns.find((c) => !isPlainName(c)) ?? readAs.find((t) => !TYPE.test(t));
  if (bad !== undefined) throw new Error(`invalid column or type ${JSON.stringify(bad)}`);
  return sqlString(columns.map((c, i) => `${c} ${readAs[i]}`).join(', '));
}

/** Pure: `INSERT … SELECT` of JSONCompactEachRow rows read from `file` as `readAs`, into `columns` of `table`. */
export function fileInsertSql(
  table: string,
  columns: readonly string[],
  readAs: readonly string[],
  file: string,
  settings: Readonly<Record<string, string | number>>,
): string {
  if (!isPlainTable(table)) throw new Error(`invalid table name ${JSON.stringify(table)}`);
  const structure = readAsStructure(columns, readAs);
  const badSetting = Object.keys(settings).find((k) => !isPlainName(k));
  if (badSetting !== undefined) throw new Error(`invalid setting name ${JSON.stringify(badSetting)}`);
  const settingsSql = Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : sqlString(v)}`)
    .join(', ');
  return (
    `INSERT INTO ${table} (${columns.join(', ')})${settingsSql ? ` SETTINGS ${settingsSql}` : ''} ` +
    `SELECT * FROM file(${sqlString(file)}, JSONCompactEachRow, ${structure})`
  );
}
