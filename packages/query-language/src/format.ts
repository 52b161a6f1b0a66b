import type { QueryNode, TermNode } from './ast.ts';
import { isKeyword } from './lexer.ts';

const UNSAFE_IN_WORD = /[\s()"*]/;

/**
 * Pure: writes a QueryNode back as canonical query text, so parseQuery(formatQuery(ast)) deep-equals
 * `ast`. Negation is written `-`, AND as a space, nested groups in parentheses. Throws a TypeError
 * for nodes the parser could never produce (a term that cannot be written unquoted, a group of
 * fewer than two, a non-finite number).
 */
export function formatQuery(node: QueryNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      if (node.children.length < 2) throw new TypeError(`An "${node.kind}" node needs at least two children`);
      return node.children.map(group).join(node.kind === 'and' ? ' ' : ' OR ');
    case 'not':
      return `-${group(node.child)}`;
    case 'term':
      return `${fieldPrefix(node.field)}${bareWord(node)}${node.prefix ? '*' : ''}`;
    case 'phrase':
      return `${fieldPrefix(node.field)}"${node.text.replace(/[\\"]/g, '\\$&')}"`;
    case 'compare':
      if (!Number.isFinite(node.value)) throw new TypeError(`Cannot write ${node.value} in a comparison`);
      return `${fieldPrefix(node.field)}${node.op}${Object.is(node.value, -0) ? 0 : node.value}`;
    default:
      throw new TypeError(`Unknown query node ${JSON.stringify(node)}`);
  }
}

// Groups inside groups keep their parentheses so the tree shape survives the round trip.
function group(node: QueryNode): string {
  return node.kind === 'and' || node.kind === 'or' ? `(${formatQuery(node)})` : formatQuery(node);
}

function fieldPrefix(field: string | null): string {
  if (field === null) return '';
  if (field === '' || UNSAFE_IN_WORD.test(field) || field.includes(':') || field.startsWith('-')) {
    throw new TypeError(`Cannot write field name ${JSON.stringify(field)}`);
  }
  return `${field}:`;
}

function bareWord(node: TermNode): string {
  const { field, text, prefix } = node;
  const bad =
    UNSAFE_IN_WORD.test(text) ||
    (text === '' && !prefix) ||
    (field === null ? text.includes(':') || text.startsWith('-') || (!prefix && isKeyword(text)) : /^[<>]/.test(text));
  if (bad) throw new TypeError(`Term ${JSON.stringify(text)} cannot be written unquoted; use a phrase node`);
  return text;
}
