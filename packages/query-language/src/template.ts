// A log pattern's template: a message with its variable parts replaced by placeholders, such as
// `GET /api/items/<NUM> took <DURATION>`. `maskMessage` makes one from a message; `templateRegex`
// turns one back into a regular expression matching every message it stands for. The expression
// uses only syntax JavaScript (flag `u`) and RE2 (ClickHouse `match`) read alike, so the dashboard,
// the clustering and the store agree on what a template selects.

/** Placeholder names and what each matches, as regular-expression source common to JS and RE2. */
export const PLACEHOLDERS = {
  UUID: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
  EMAIL: '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
  IP: '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}',
  HEX: '(?:0x[0-9a-fA-F]+|[0-9a-fA-F]{16,})',
  DURATION: '[0-9]+(?:\\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d)',
  NUM: '-?[0-9]+(?:\\.[0-9]+)?',
  // A word with a digit in it: request ids, user42, sku_7b.
  ID: '[A-Za-z_]*[0-9][0-9A-Za-z_]*',
  QUOTED: `(?:"[^"]*"|'[^']*')`,
  // A whole token that varied between messages; a quoted value inside it may hold spaces.
  '*': `(?:"[^"]*"|'[^']*'|[^\\t\\n\\v\\f\\r ])+`,
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

/** The whitespace that separates tokens: RE2's `\s` is ASCII-only, so both sides spell it out. */
const SPACE = '[\\t\\n\\v\\f\\r ]';
const SPACES = new RegExp(`${SPACE}+`, 'u');
const PLACEHOLDER_TEXT = /<(UUID|EMAIL|IP|HEX|DURATION|NUM|ID|QUOTED|\*)>/g;

// Edges of a run of word characters; lookbehind is fine here: only JS masks.
const B = '(?<![0-9A-Za-z_])';
const E = '(?![0-9A-Za-z_])';
// Leftmost match wins, then the first alternative: more specific shapes come first.
const MASK = new RegExp(
  [
    `(?<lit>${PLACEHOLDER_TEXT.source})`,
    `(?<QUOTED>(?<=^|[\\t\\n\\v\\f\\r =:(\\[{,])${PLACEHOLDERS.QUOTED})`,
    `(?<UUID>${B}${PLACEHOLDERS.UUID}${E})`,
    `(?<EMAIL>(?<![A-Za-z0-9._%+-])${PLACEHOLDERS.EMAIL}(?![A-Za-z0-9_]))`,
    `(?<IP>${B}${PLACEHOLDERS.IP}(?![0-9A-Za-z_]|\\.[0-9]))`,
    `(?<HEX>${B}${PLACEHOLDERS.HEX}${E})`,
    `(?<DURATION>${B}${PLACEHOLDERS.DURATION}${E})`,
    `(?<NUM>${B}${PLACEHOLDERS.NUM}${E})`,
    `(?<ID>${B}${PLACEHOLDERS.ID}${E})`,
  ].join('|'),
  'gu',
);

/**
 * Pure: the message with every variable part replaced by its placeholder. Text that already reads
 * like a placeholder becomes `<*>`, so a template never holds a placeholder it does not mean.
 */
export function maskMessage(message: string): string {
  return message.replace(MASK, (...args) => {
    const groups = args.at(-1) as Record<string, string | undefined>;
    if (groups['lit'] !== undefined) return '<*>';
    for (const name of ['QUOTED', 'UUID', 'EMAIL', 'IP', 'HEX', 'DURATION', 'NUM', 'ID'])
      if (groups[name] !== undefined) return `<${name}>`;
    return args[0] as string;
  });
}

/** Pure: the tokens of a message or template (whitespace-separated, none empty). */
export function splitTokens(text: string): string[] {
  return text.split(SPACES).filter((t) => t !== '');
}

/** Pure: `message` as a template on its own: masked, tokens joined by single spaces. */
export function templateOf(message: string): string {
  return splitTokens(maskMessage(message)).join(' ');
}

/** Pure: a template's pieces, constant text and placeholders in order. */
export function templateParts(template: string): Array<{ text: string } | { placeholder: Placeholder }> {
  const parts: Array<{ text: string } | { placeholder: Placeholder }> = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER_TEXT)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    parts.push({ placeholder: m[1] as Placeholder });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

// Only the characters with a meaning are escaped: JS with flag `u` refuses escapes of any others.
const escape = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/**
 * Pure: a regular expression (source, anchored) matching every message `template` stands for:
 * its tokens in order, any whitespace between them. Valid for `new RegExp(source, 'u')` and RE2.
 */
export function templateRegex(template: string): string {
  const tokens = splitTokens(template).map((token) =>
    templateParts(token)
      .map((p) => ('text' in p ? escape(p.text) : PLACEHOLDERS[p.placeholder]))
      .join(''),
  );
  return `^${SPACE}*${tokens.join(`${SPACE}+`)}${SPACE}*$`;
}

/**
 * Pure: the words of a template's constant text that every matching message holds as whole words
 * (runs of ASCII letters and digits with a separator on both sides, never a placeholder), lower case.
 * A store may narrow by them with its word index before checking the expression.
 */
export function templateWords(template: string): string[] {
  const words = new Set<string>();
  for (const token of splitTokens(template)) {
    const parts = templateParts(token);
    parts.forEach((part, i) => {
      if (!('text' in part)) return;
      for (const m of part.text.matchAll(/[0-9A-Za-z]+/g)) {
        const before = m.index > 0 ? part.text[m.index - 1]! : i > 0 ? null : ' ';
        const end = m.index + m[0].length;
        const after = end < part.text.length ? part.text[end]! : i < parts.length - 1 ? null : ' ';
        // Non-ASCII characters belong to words in the store's tokenizer; a placeholder may too.
        const separates = (c: string | null) => c !== null && c.charCodeAt(0) < 0x80;
        if (separates(before) && separates(after)) words.add(m[0].toLowerCase());
      }
    });
  }
  return [...words];
}
