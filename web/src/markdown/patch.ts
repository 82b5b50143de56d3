/**
 * Makes `container`'s children match `next`, keeping every existing child whose sanitized HTML
 * is unchanged. While a reply streams, only its tail changes: finished paragraphs and code
 * blocks keep their nodes, so a text selection, a focused Copy button or its "Copied" state
 * survive, and the browser re-lays out only the block being written.
 */
export function patchChildren(
  container: Node,
  next: readonly Node[],
  keys: WeakMap<Node, string>,
  prepare: (node: Node) => Node,
): void {
  let current = container.firstChild;
  for (const node of next) {
    const key = keyOf(node);
    if (current !== null && keys.get(current) === key) {
      current = current.nextSibling;
      continue;
    }
    const prepared = prepare(node);
    keys.set(prepared, key);
    container.insertBefore(prepared, current);
    if (current !== null) {
      const stale = current;
      current = current.nextSibling;
      container.removeChild(stale);
    }
  }
  while (current !== null) {
    const stale = current;
    current = current.nextSibling;
    container.removeChild(stale);
  }
}

function keyOf(node: Node): string {
  if (node.nodeType === node.ELEMENT_NODE) return (node as Element).outerHTML;
  return `${node.nodeType}:${node.textContent ?? ''}`;
}
