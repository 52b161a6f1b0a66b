export type {
  QueryNode,
  LeafNode,
  AndNode,
  OrNode,
  NotNode,
  TermNode,
  PhraseNode,
  CompareNode,
  CompareOp,
} from './ast.ts';
export { QUERY_LIMITS } from './ast.ts';
export { QuerySyntaxError } from './errors.ts';
export { parseQuery } from './parser.ts';
export { formatQuery } from './format.ts';
export {
  PLACEHOLDERS,
  maskMessage,
  splitTokens,
  templateOf,
  templateParts,
  templateRegex,
  templateWords,
  type Placeholder,
} from './template.ts';
