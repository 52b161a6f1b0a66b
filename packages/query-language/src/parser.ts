import { QUERY_LIMITS, type QueryNode } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

/**
 * Pure: parses search-box text (`timeout service:pay* -level:debug (a OR "b c") latency:>500`)
 * into a QueryNode, or null when the text is blank. AND binds tighter than OR; adjacent clauses
 * are ANDed. Throws QuerySyntaxError, and nothing else, for any text it refuses.
 */
export function parseQuery(q: string): QueryNode | null {
  if (q.length > QUERY_LIMITS.maxLength) {
    throw new QuerySyntaxError(`query is longer than ${QUERY_LIMITS.maxLength} characters`, QUERY_LIMITS.maxLength);
  }
  const parser = new Parser(tokenize(q), q.length);
  return parser.parse();
}

class Parser {
  readonly #tokens: Token[];
  readonly #length: number;
  #at = 0;
  #clauses = 0;

  constructor(tokens: Token[], length: number) {
    this.#tokens = tokens;
    this.#length = length;
  }

  parse(): QueryNode | null {
    if (this.#tokens.length === 0) return null;
    const node = this.#or(0);
    const extra = this.#peek();
    // #or stops only at the end or at a ")" that no "(" opened.
    if (extra) throw new QuerySyntaxError('unexpected ")"', extra.pos);
    return node;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #or(depth: number): QueryNode {
    const children = [this.#and(depth)];
    while (this.#peek()?.type === 'OR') {
      this.#expectOperand(this.#tokens[this.#at++]!);
      children.push(this.#and(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  #and(depth: number): QueryNode {
    const children = [this.#unary(depth)];
    for (;;) {
      const next = this.#peek();
      if (next?.type === 'AND') {
        this.#expectOperand(this.#tokens[this.#at++]!);
      } else if (!next || next.type === 'OR' || next.type === ')') {
        break;
      }
      children.push(this.#unary(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  #unary(depth: number): QueryNode {
    const token = this.#peek();
    if (!token) throw new QuerySyntaxError('missing term', this.#length);
    switch (token.type) {
      case 'leaf':
        if (++this.#clauses > QUERY_LIMITS.maxClauses) {
          throw new QuerySyntaxError(`query has more than ${QUERY_LIMITS.maxClauses} clauses`, token.pos);
        }
        this.#at++;
        return token.node;
      case '-':
      case 'NOT':
        this.#enter(depth, token);
        this.#at++;
        this.#expectOperand(token);
        return { kind: 'not', child: this.#unary(depth + 1) };
      case '(': {
        this.#enter(depth, token);
        this.#at++;
        const first = this.#peek();
        if (!first) throw new QuerySyntaxError('unclosed "("', token.pos);
        if (first.type === ')') throw new QuerySyntaxError('empty parentheses', first.pos);
        const node = this.#or(depth + 1);
        if (!this.#peek()) throw new QuerySyntaxError('unclosed "("', token.pos);
        this.#at++;
        return node;
      }
      default:
        throw new QuerySyntaxError(`unexpected "${token.type}"`, token.pos);
    }
  }

  #enter(depth: number, token: Token): void {
    if (depth + 1 > QUERY_LIMITS.maxDepth) {
      throw new QuerySyntaxError(`query nests deeper than ${QUERY_LIMITS.maxDepth} levels`, token.pos);
    }
  }

  // After an operator the text must go on with something an operand can start with.
  #expectOperand(operator: Token): void {
    const next = this.#peek();
    if (!next) throw new QuerySyntaxError(`missing term after "${operator.type}"`, operator.end);
    if (next.type === 'AND' || next.type === 'OR' || next.type === ')') {
      throw new QuerySyntaxError(`unexpected "${next.type}"`, next.pos);
    }
  }
}
