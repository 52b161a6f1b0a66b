export interface WindowInput {
  count: number;
  rowHeight: number;
  scrollTop: number;
  viewportHeight: number;
  /** Rows rendered beyond each edge so fast scrolling shows no gaps. */
  overscan: number;
  /** The one expanded row, whose height is `expandedHeight` instead of `rowHeight`. */
  expanded?: { index: number; height: number } | undefined;
}

export interface VirtualWindow {
  start: number;
  /** One past the last row to render. */
  end: number;
  totalHeight: number;
}

/** Pure: where row `index` starts, in pixels from the top of the list. */
export function rowOffset(index: number, input: Pick<WindowInput, 'rowHeight' | 'expanded'>): number {
  const { rowHeight, expanded } = input;
  const extra = expanded && index > expanded.index ? expanded.height - rowHeight : 0;
  return index * rowHeight + extra;
}

/** Pure: which rows a viewport shows, for a list of fixed-height rows with at most one taller row. */
export function visibleWindow(input: WindowInput): VirtualWindow {
  const { count, rowHeight, scrollTop, viewportHeight, overscan, expanded } = input;
  const extra = expanded && expanded.index < count ? Math.max(0, expanded.height - rowHeight) : 0;
  const totalHeight = count * rowHeight + extra;
  const indexAt = (y: number) => {
    if (expanded && extra > 0) {
      const expandedTop = expanded.index * rowHeight;
      if (y >= expandedTop + expanded.height) return Math.floor((y - extra) / rowHeight);
      if (y >= expandedTop) return expanded.index;
    }
    return Math.floor(y / rowHeight);
  };
  const first = indexAt(Math.max(0, scrollTop));
  const last = indexAt(Math.max(0, scrollTop + viewportHeight - 1));
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(count, last + 1 + overscan),
    totalHeight,
  };
}
