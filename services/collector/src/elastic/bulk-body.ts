import { LIMITS } from '@instant-logs/schema';

/** The four operations a bulk action line may name. */
export type BulkAction = 'index' | 'create' | 'delete' | 'update';

/** An Elasticsearch-style error, as reported per item or for a whole request. */
export interface EsError {
  type: string;
  reason: string;
}

/** One operation of a bulk request: its action, target and document, or why it cannot be carried out. */
export interface BulkEntry {
  action: BulkAction;
  /** 1-based line of the action line, for messages. */
  line: number;
  index?: string;
  id?: string;
  doc?: Record<string, unknown>;
  error?: EsError;
}

const ACTIONS = new Set<string>(['index', 'create', 'delete', 'update']);
const MAX_ID_BYTES = 512;
const MAX_INDEX_BYTES = 255;
// Actions that are followed by a source line; delete is the only one without.
const WITH_SOURCE = new Set<string>(['index', 'create', 'update']);

type ActionLine =
  { ok: true; action: BulkAction; meta: Record<string, unknown> } | { ok: false; action?: string; error: EsError };

/**
 * Pure: splits a bulk body into operations (action line, then source line except for delete).
 * A bad line becomes that operation's error and parsing resumes at the next action line, so
 * good neighbours still count. Blank lines are skipped, as Elasticsearch does. Logs are
 * append-only, so delete and update come back as errors.
 */
export function parseBulkBody(text: string, defaultIndex?: string): BulkEntry[] {
  const lines = nonBlankLines(text);
  const entries: BulkEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const { number, text: actionText } = lines[i++]!;
    const parsed = parseActionLine(actionText, number);
    if (!parsed.ok) {
      // Without a readable action we cannot know whether a source follows: skip the next line
      // unless it reads as an action itself.
      if (i < lines.length && !looksLikeAction(lines[i]!.text)) i++;
      entries.push({ action: knownAction(parsed.action) ?? 'index', line: number, error: parsed.error });
      continue;
    }
    const entry = withMeta(parsed.action, number, parsed.meta, defaultIndex);
    if (WITH_SOURCE.has(parsed.action)) {
      const source = lines[i];
      if (source === undefined) {
        entries.push({
          ...entry,
          error: entry.error ?? validation(`the ${parsed.action} action on line ${number} has no document line`),
        });
        continue;
      }
      i++;
      if (parsed.action === 'update' || entry.error) {
        entries.push(entry.error ? entry : { ...entry, error: appendOnly('update') });
        continue;
      }
      const doc = parseSource(source.text, source.number);
      entries.push('error' in doc ? { ...entry, error: doc.error } : { ...entry, doc: doc.value });
      continue;
    }
    entries.push(entry.error ? entry : { ...entry, error: appendOnly(parsed.action) });
  }
  return entries;
}

function nonBlankLines(text: string): { number: number; text: string }[] {
  const out: { number: number; text: string }[] = [];
  const raw = text.split('\n');
  for (let n = 0; n < raw.length; n++) {
    const trimmed = raw[n]!.trim();
    if (trimmed !== '') out.push({ number: n + 1, text: trimmed });
  }
  return out;
}

function parseActionLine(text: string, line: number): ActionLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: {
        type: 'x_content_parse_exception',
        reason: `[${line}:1] malformed action/metadata line: ${(err as Error).message}`,
      },
    };
  }
  if (!isObject(value)) {
    return { ok: false, error: malformed(line, 'expected a JSON object such as {"index":{}}') };
  }
  const keys = Object.keys(value);
  if (keys.length !== 1)
    return { ok: false, error: malformed(line, `expected exactly one action but found ${keys.length}`) };
  const name = keys[0]!;
  if (!ACTIONS.has(name)) {
    return {
      ok: false,
      action: name,
      error: malformed(line, `expected one of [create, delete, index, update] but found [${name.slice(0, 64)}]`),
    };
  }
  const meta = value[name];
  if (!isObject(meta)) return { ok: false, action: name, error: malformed(line, `expected an object after [${name}]`) };
  return { ok: true, action: name as BulkAction, meta };
}

function withMeta(
  action: BulkAction,
  line: number,
  meta: Record<string, unknown>,
  defaultIndex: string | undefined,
): BulkEntry {
  const index = meta['_index'] ?? defaultIndex;
  const id = meta['_id'];
  const entry: BulkEntry = { action, line };
  if (typeof id === 'string' && id !== '') entry.id = id;
  else if (id !== undefined && id !== null)
    return { ...entry, error: validation(`[_id] on line ${line} must be a string`) };
  // Elasticsearch's own bounds; an _id is also remembered (documentClaim), so its size must be bounded.
  if (entry.id !== undefined && Buffer.byteLength(entry.id) > MAX_ID_BYTES)
    return {
      ...entry,
      error: validation(
        `id on line ${line} is too long, must be no longer than ${MAX_ID_BYTES} bytes but was: ${Buffer.byteLength(entry.id)}`,
      ),
    };
  if (typeof index === 'string' && index !== '') entry.index = index;
  else if (index !== undefined)
    return { ...entry, error: validation(`[_index] on line ${line} must be a non-empty string`) };
  if (entry.index !== undefined && Buffer.byteLength(entry.index) > MAX_INDEX_BYTES)
    return {
      ...entry,
      error: validation(
        `[_index] on line ${line} is too long (${Buffer.byteLength(entry.index)} > ${MAX_INDEX_BYTES})`,
      ),
    };
  if (entry.index === undefined) return { ...entry, error: validation('index is missing') };
  return entry;
}

function parseSource(text: string, line: number): { value: Record<string, unknown> } | { error: EsError } {
  if (Buffer.byteLength(text) > LIMITS.maxRecordBytes) {
    return {
      error: {
        type: 'document_parsing_exception',
        reason: `[${line}:1] document exceeds ${LIMITS.maxRecordBytes} bytes`,
      },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      error: { type: 'document_parsing_exception', reason: `[${line}:1] failed to parse: ${(err as Error).message}` },
    };
  }
  if (!isObject(value))
    return { error: { type: 'document_parsing_exception', reason: `[${line}:1] the document must be a JSON object` } };
  return { value };
}

function looksLikeAction(text: string): boolean {
  const parsed = parseActionLine(text, 0);
  return parsed.ok;
}

function knownAction(name: string | undefined): BulkAction | undefined {
  return name !== undefined && ACTIONS.has(name) ? (name as BulkAction) : undefined;
}

function malformed(line: number, detail: string): EsError {
  return { type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${line}], ${detail}` };
}

function appendOnly(action: BulkAction): EsError {
  return {
    type: 'illegal_argument_exception',
    reason: `logs are append-only: the ${action} action is not supported; use index or create`,
  };
}

function validation(detail: string): EsError {
  return { type: 'action_request_validation_exception', reason: `Validation Failed: 1: ${detail};` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
