import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { parseScopes, TENANT_PATTERN } from '../auth.ts';
import { issueKey, readKeysFile, writeKeysFile, type KeyEntry } from './keys-file.ts';

const USAGE = `Usage: node packages/service-kit/src/keys/cli.ts <command> [options]
  create --file keys.json --tenant <tenant> --scopes ingest,query,admin [--name <name>]
         adds a key (creating the file) and prints its token once
  revoke --file keys.json --id <key id>
  list   --file keys.json
  secret --file keys.json --name <secret name> [--namespace <ns>] [--output yaml|json]
         prints a Kubernetes Secret holding the file under the key keys.json`;

class UsageError extends Error {}

type Options = Record<string, string | undefined>;

/** Runs one CLI command; resolves to the process exit code (0 ok, 1 failed, 2 bad usage). */
export async function runKeysCli(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        tenant: { type: 'string' },
        scopes: { type: 'string' },
        name: { type: 'string' },
        id: { type: 'string' },
        namespace: { type: 'string' },
        output: { type: 'string' },
      },
    });
    const [command, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const opts = values as Options;
    const commands: Record<string, () => Promise<void>> = {
      create: () => create(opts, out, err),
      revoke: () => revoke(opts, err),
      list: () => list(opts, out),
      secret: () => secret(opts, out),
    };
    const run = command === undefined ? undefined : commands[command];
    if (!run) throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
    await run();
    return 0;
  } catch (e) {
    // parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes: those are usage errors too.
    const usage = e instanceof UsageError || String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS');
    err(`error: ${(e as Error).message}`);
    if (usage) err(USAGE);
    return usage ? 2 : 1;
  }
}

function required(opts: Options, name: string): string {
  const value = opts[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

async function create(opts: Options, out: (line: string) => void, err: (line: string) => void): Promise<void> {
  const path = required(opts, 'file');
  const tenant = required(opts, 'tenant');
  if (!TENANT_PATTERN.test(tenant))
    throw new UsageError(`--tenant "${tenant}" must be 1-64 letters, digits, "_" or "-"`);
  let scopes: KeyEntry['scopes'];
  try {
    scopes = [...parseScopes(required(opts, 'scopes').split(','))];
  } catch (e) {
    throw new UsageError(`--scopes: ${(e as Error).message}`);
  }
  const file = await readKeysFile(path, true);
  const { token, entry } = issueKey(tenant, scopes, opts['name'], new Date());
  await writeKeysFile(path, { ...file, keys: [...file.keys, entry] });
  audit(err, 'create', entry);
  out(token);
}

async function revoke(opts: Options, err: (line: string) => void): Promise<void> {
  const path = required(opts, 'file');
  const id = required(opts, 'id');
  const file = await readKeysFile(path);
  const entry = file.keys.find((k) => k.id === id);
  if (!entry) throw new Error(`no key with id ${id} in ${path}`);
  await writeKeysFile(path, { ...file, keys: file.keys.filter((k) => k.id !== id) });
  audit(err, 'revoke', entry);
}

async function list(opts: Options, out: (line: string) => void): Promise<void> {
  const file = await readKeysFile(required(opts, 'file'));
  out(['ID', 'TENANT', 'SCOPES', 'NAME', 'CREATED'].join('\t'));
  for (const k of file.keys) out([k.id, k.tenant, k.scopes.join(','), k.name ?? '-', k.created].join('\t'));
}

async function secret(opts: Options, out: (line: string) => void): Promise<void> {
  const path = required(opts, 'file');
  const name = required(opts, 'name');
  const namespace = opts['namespace'];
  const output = opts['output'] ?? 'yaml';
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  if (!dns.test(name) || name.length > 253)
    throw new UsageError(`--name "${name}" is not a valid Kubernetes object name`);
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    throw new UsageError(`--namespace "${namespace}" is not a valid namespace`);
  if (output !== 'yaml' && output !== 'json') throw new UsageError('--output must be yaml or json');
  await readKeysFile(path); // refuse to package a file the services would reject
  const data = (await readFile(path)).toString('base64');
  const metadata = {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { 'app.kubernetes.io/part-of': 'instant-logs' },
  };
  const manifest = { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data: { 'keys.json': data } };
  if (output === 'json') return out(JSON.stringify(manifest, null, 2));
  // Every value is a plain DNS name or base64, so no YAML quoting is needed.
  out(
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      `  name: ${name}`,
      ...(namespace ? [`  namespace: ${namespace}`] : []),
      '  labels:',
      '    app.kubernetes.io/part-of: instant-logs',
      'type: Opaque',
      'data:',
      `  keys.json: ${data}`,
    ].join('\n'),
  );
}

function audit(err: (line: string) => void, action: string, entry: KeyEntry): void {
  const actor = safeUser();
  err(
    JSON.stringify({
      audit: true,
      action,
      keyId: entry.id,
      tenant: entry.tenant,
      scopes: entry.scopes,
      actor,
      time: new Date().toISOString(),
    }),
  );
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

if (import.meta.main) {
  const code = await runKeysCli(
    process.argv.slice(2),
    (l) => process.stdout.write(`${l}\n`),
    (l) => process.stderr.write(`${l}\n`),
  );
  process.exitCode = code;
}
