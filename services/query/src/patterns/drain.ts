import { maskMessage, splitTokens, templateRegex } from '@instant-logs/query-language';

// Drain (He et al., ICWS 2017, "Drain: An Online Log Parsing Approach with Fixed Depth Tree"):
// messages are masked, split into tokens and grouped by token count and first token; within a
// group a message joins the most similar template when enough of its constant tokens (those that
// are not just a placeholder) equal the template's, and the positions that differ become `<*>`.
// Counting only constant tokens keeps `GET /a <NUM> <DURATION>` and `GET /b <NUM> <DURATION>` apart:
// the placeholders they share say nothing about whether they are the same event.

/** A template and the indices of the messages assigned to it. */
export interface Cluster {
  template: string;
  members: number[];
}

export interface DrainOptions {
  /** Share of a message's constant tokens the template must equal for the message to join it (default 0.6). */
  similarity?: number;
}

const ANY = '<*>';

interface Group {
  clusters: { tokens: string[]; members: number[] }[];
}

/**
 * Pure: groups `messages` into templates; every message matches the template it is assigned to
 * (`templateRegex`), and within one group no two templates could both match a message by token.
 */
export function clusterMessages(messages: readonly string[], options: DrainOptions = {}): Cluster[] {
  const threshold = options.similarity ?? 0.6;
  const groups = new Map<string, Group>();
  // A masked message seen before goes where it went then: its template has only widened since.
  const seen = new Map<string, Group['clusters'][number]>();
  messages.forEach((message, index) => {
    const masked = maskMessage(message);
    const known = seen.get(masked);
    if (known) return known.members.push(index);
    const tokens = splitTokens(masked);
    const key = `${tokens.length} ${tokens[0]?.includes('<') ? ANY : (tokens[0] ?? '')}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { clusters: [] }));
    const best = mostSimilar(group.clusters, tokens);
    if (best && best.score >= threshold) {
      const cluster = best.cluster;
      cluster.tokens = cluster.tokens.map((t, i) => (t === tokens[i] ? t : ANY));
      cluster.members.push(index);
      seen.set(masked, cluster);
    } else {
      const cluster = { tokens, members: [index] };
      group.clusters.push(cluster);
      seen.set(masked, cluster);
    }
  });
  return [...groups.values()].flatMap((g) => {
    // Either merge widens a template, which may give the other something new to merge.
    let clusters = g.clusters;
    for (let before = Infinity; clusters.length < before;) {
      before = clusters.length;
      clusters = mergeSharedFits(mergeOverlaps(clusters), messages);
    }
    return clusters.map((c) => ({ template: c.tokens.join(' '), members: c.members }));
  });
}

const PLACEHOLDER_ONLY = /^<[A-Z*]+>$/;

function mostSimilar(clusters: Group['clusters'], tokens: readonly string[]) {
  let best: { cluster: Group['clusters'][number]; score: number; wild: number } | undefined;
  for (const cluster of clusters) {
    let constant = 0;
    let same = 0;
    let wild = 0;
    cluster.tokens.forEach((t, i) => {
      if (t === ANY) wild++;
      const token = tokens[i]!;
      if (PLACEHOLDER_ONLY.test(token)) return;
      constant++;
      if (t === token) same++;
    });
    // A message of placeholders only (or none) is as similar as can be to a template of its group.
    const score = constant === 0 ? 1 : same / constant;
    if (!best || score > best.score || (score === best.score && wild < best.wild)) best = { cluster, score, wild };
  }
  return best;
}

// Above this many templates in one group the pairwise pass costs more than the overlaps it removes.
const MAX_MERGE_GROUP = 1000;

const widen = (a: readonly string[], b: readonly string[]) => a.map((t, k) => (t === b[k] ? t : ANY));

/**
 * Templates that one message could match both of (each position equal, or `<*>` on one side)
 * become one, so a filter by a template selects its own messages and not another template's.
 */
function mergeOverlaps(clusters: Group['clusters']): Group['clusters'] {
  if (clusters.length > MAX_MERGE_GROUP) return clusters;
  const out = [...clusters];
  // Passes until one merges nothing: a widened template may now overlap one it was checked against.
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i < out.length; i++)
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!;
        const b = out[j]!;
        if (!a.tokens.every((t, k) => t === b.tokens[k] || t === ANY || b.tokens[k] === ANY)) continue;
        out[i] = {
          tokens: widen(a.tokens, b.tokens),
          members: [...a.members, ...b.members],
        };
        out.splice(j--, 1);
        merged = true;
      }
  }
  return out;
}

// Each of a group's messages is tried against each of its templates: kept small, that stays cheap.
const MAX_FIT_CHECK = 64;

/**
 * Placeholders overlap (`<ID>` matches what `<NUM>` does, `<ID>` what `<DURATION>` does), so
 * `/items/<NUM>` and `/items/<ID>` differ token by token yet both match `/items/0`. Templates a
 * sampled message matches more than one of become one, until no message does.
 */
function mergeSharedFits(clusters: Group['clusters'], messages: readonly string[]): Group['clusters'] {
  let out = clusters;
  while (out.length > 1 && out.length <= MAX_FIT_CHECK) {
    const patterns = out.map((c) => new RegExp(templateRegex(c.tokens.join(' ')), 'u'));
    const joined = out.map((c) => c);
    let merged = false;
    out.forEach((own, i) => {
      const tried = new Set<string>();
      for (const m of own.members) {
        const message = messages[m]!;
        if (tried.has(message)) continue;
        tried.add(message);
        patterns.forEach((pattern, j) => {
          if (j === i || joined[j] === joined[i] || !pattern.test(message)) return;
          const into = joined[i]!;
          const from = joined[j]!;
          const union = { tokens: widen(into.tokens, from.tokens), members: [...into.members, ...from.members] };
          joined.forEach((c, k) => {
            if (c === into || c === from) joined[k] = union;
          });
          merged = true;
        });
      }
    });
    if (!merged) break;
    out = [...new Set(joined)];
  }
  return out;
}
