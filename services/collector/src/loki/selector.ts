// Loki's protobuf push names a stream by its selector text, e.g. {app="api", env="prod"}.
// Only equality matchers make sense there; names follow the Prometheus label grammar.
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/** Pure: whether `name` is a valid label name (Prometheus grammar), as Loki requires of JSON pushes too. */
export function isLabelName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** A parsed selector, or why it is not one (the message names the offset). */
export type SelectorResult = { ok: true; labels: Record<string, string> } | { ok: false; error: string };

/** Pure: parses a stream selector such as {app="api", msg="say \"hi\""} into its labels. */
export function parseLabelSelector(text: string): SelectorResult {
  try {
    return { ok: true, labels: new SelectorParser(text).parse() };
  } catch (err) {
    if (err instanceof SelectorSyntaxError)
      return { ok: false, error: `malformed label selector ${preview(text)}: ${err.message}` };
    throw err;
  }
}

class SelectorSyntaxError extends Error {}

class SelectorParser {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): Record<string, string> {
    const labels: Record<string, string> = {};
    this.#expect('{');
    while (this.#peek() !== '}') {
      const name = this.#name();
      if (Object.hasOwn(labels, name)) this.#fail(`duplicate label "${name}"`);
      this.#expect('=');
      // defineProperty keeps a label called "__proto__" as data instead of changing the prototype.
      Object.defineProperty(labels, name, {
        value: this.#quoted(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (this.#peek() === ',') this.#pos++;
      else if (this.#peek() !== '}') this.#fail(`expected "," or "}"`);
    }
    this.#pos++;
    if (this.#peek() !== undefined) this.#fail('unexpected text after "}"');
    return labels;
  }

  // The next character that is not white space, without consuming it.
  #peek(): string | undefined {
    while (this.#pos < this.#text.length && /\s/.test(this.#text[this.#pos]!)) this.#pos++;
    return this.#text[this.#pos];
  }

  #expect(char: string): void {
    if (this.#peek() !== char) this.#fail(`expected "${char}"`);
    this.#pos++;
  }

  #name(): string {
    this.#peek();
    NAME.lastIndex = this.#pos;
    const m = NAME.exec(this.#text);
    if (!m) this.#fail('expected a label name');
    this.#pos += m[0].length;
    return m[0];
  }

  #quoted(): string {
    if (this.#peek() !== '"') this.#fail('expected a double-quoted value');
    let value = '';
    for (this.#pos++; this.#pos < this.#text.length; this.#pos++) {
      const c = this.#text[this.#pos]!;
      if (c === '"') {
        this.#pos++;
        return value;
      }
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = ESCAPES[this.#text[++this.#pos] ?? ''];
      if (escaped === undefined) this.#fail('unknown escape; use \\" \\\\ \\n or \\t');
      value += escaped;
    }
    return this.#fail('unterminated quoted value');
  }

  #fail(message: string): never {
    const at = this.#pos < this.#text.length ? `at offset ${this.#pos}` : 'at the end';
    throw new SelectorSyntaxError(`${message} ${at}`);
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
