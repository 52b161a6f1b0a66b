/** Pure: an SVG path (a line through every point) for `counts` in a `width` × `height` box; empty counts draw nothing. */
export function sparklinePath(counts: readonly number[], width: number, height: number): string {
  if (counts.length === 0) return '';
  const max = Math.max(1, ...counts);
  // One point is drawn as a flat line across the box.
  const step = counts.length > 1 ? width / (counts.length - 1) : width;
  const y = (n: number) => round(height - 1 - (n / max) * (height - 2));
  const points =
    counts.length > 1
      ? counts.map((n, i) => [round(i * step), y(n)])
      : [
          [0, y(counts[0]!)],
          [width, y(counts[0]!)],
        ];
  return points.map(([x, yy], i) => `${i === 0 ? 'M' : 'L'}${x} ${yy}`).join(' ');
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Pure: the share as a percentage people read, "42%", "0.3%", "<0.1%". */
export function formatShare(share: number): string {
  const pct = share * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return pct < 10 ? `${Math.round(pct * 10) / 10}%` : `${Math.round(pct)}%`;
}
