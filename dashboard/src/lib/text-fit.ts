/**
 * Pure: `text` cut to at most `max` characters by dropping its middle, so values that share a long
 * prefix (pod names, URLs) still differ where they end. Counts code points, never splitting a pair.
 */
export function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return '…';
  // The end usually tells values apart, so it keeps the extra character when the split is uneven.
  const tail = Math.ceil((max - 1) / 2);
  const head = max - 1 - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
