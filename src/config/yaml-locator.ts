import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { InputProblem } from '../core/sim-error.js';
import type { PathParts } from './flow-parser.js';

/** Formats path parts as `cohorts.chatters.stages[1].duration`. */
export function formatPath(path: PathParts): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(p)) s += `${s ? '.' : ''}${p}`;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

/**
 * Turns a path-located problem into a file:line:column one by finding the
 * node in the YAML document; a key that is missing points at its parent.
 */
export function locate(
  doc: Document,
  lc: LineCounter,
  file: string,
  path: PathParts,
  message: string,
  atKey = false,
): InputProblem {
  let node: unknown = doc.contents;
  let best: { range?: [number, number, number] | null } | undefined = node as never;
  let keyNode: Node | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (it) => isPair(it) && (isScalar(it.key) ? String(it.key.value) : String(it.key)) === String(part),
      );
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      keyNode = undefined;
    } else {
      break;
    }
    if (node && (node as Node).range) best = node;
    else if (keyNode?.range) best = keyNode;
  }
  const target = atKey && keyNode?.range ? keyNode : best;
  const offset = target?.range?.[0];
  const where = offset !== undefined ? lc.linePos(offset) : undefined;
  return {
    file,
    ...(where ? { line: where.line, column: where.col } : {}),
    ...(path.length ? { path: formatPath(path) } : {}),
    message,
  };
}
