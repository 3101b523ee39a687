/**
 * Summaries of what bench/scale.ts --profile collects, also usable alone:
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile>   [--top 25]   top self-time functions and files
 *   node dist/bench/profile-summary.js <file.heapsnapshot> [--top 25] [--per N]
 *                                      self size by constructor (per session with --per N)
 *   node dist/bench/profile-summary.js --diff <before.heapsnapshot> <after.heapsnapshot> [--per N]
 *                                      what grew in between, by constructor (per run with --per N)
 *
 * CPU: self time is the sum of the sampling intervals attributed to a frame
 * (timeDeltas, not hit counts), grouped by function + file + line, and by file
 * (dist/src/... is shown as src/..., node_modules/<pkg> as the package).
 * Heap: the self (shallow) size of every node, grouped by node type and
 * constructor name; retained sizes are not computed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  name: string;
  where: string;
  selfMs: number;
  share: number;
  selfUs: number;
}
export interface CpuSummary {
  totalMs: number;
  functions: SelfTimeRow[];
  files: SelfTimeRow[];
}

/** Shortens a script URL: src/... for crosstalk, the package for node_modules, node:... for internals. */
export function shortenUrl(url: string): string {
  if (!url) return '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (nm) return `${nm[1]}/${nm[2]}`;
  const d = /\/dist\/((?:src|bench)\/.*)\.js$/.exec(url);
  if (d) return `${d[1]}.ts`;
  return url.replace(/^file:\/\//, '');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Per generated line: [generated column, original line] pairs, sorted by column. */
type LineMap = Array<Array<[number, number]>>;
const sourceMaps = new Map<string, LineMap | undefined>();

/** Decodes the `mappings` of a source map next to a compiled file (tsc's, one source per file). */
function loadLineMap(jsPath: string): LineMap | undefined {
  if (sourceMaps.has(jsPath)) return sourceMaps.get(jsPath);
  let map: LineMap | undefined;
  try {
    const { mappings } = JSON.parse(readFileSync(`${jsPath}.map`, 'utf8')) as { mappings: string };
    map = [];
    let origLine = 0;
    for (const line of mappings.split(';')) {
      const segs: Array<[number, number]> = [];
      let genCol = 0;
      for (const seg of line.split(',')) {
        if (!seg) continue;
        const v: number[] = [];
        let shift = 0;
        let value = 0;
        for (const ch of seg) {
          const d = B64.indexOf(ch);
          value += (d & 31) << shift;
          if (d & 32) {
            shift += 5;
            continue;
          }
          v.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
        genCol += v[0] ?? 0;
        if (v.length >= 4) {
          origLine += v[2]!;
          segs.push([genCol, origLine]);
        }
      }
      map.push(segs);
    }
  } catch {
    map = undefined;
  }
  sourceMaps.set(jsPath, map);
  return map;
}

/** The 1-based line in the TypeScript source of a 0-based position in compiled dist/ output, when a source map says. */
function originalLine(url: string, line: number, col: number): number | undefined {
  if (!url.startsWith('file://') || !/\/dist\/(src|bench)\//.test(url)) return undefined;
  const segs = loadLineMap(fileURLToPath(url))?.[line];
  if (!segs || segs.length === 0) return undefined;
  let best = segs[0]!;
  for (const s of segs) {
    if (s[0] <= col) best = s;
    else break;
  }
  return best[1] + 1;
}

/** Top self-time functions and files of a V8 .cpuprofile; `untilMs` keeps only the samples of the profile's first milliseconds. Lines of crosstalk's compiled code are mapped back to src/*.ts. */
export function summarizeCpuProfile(path: string, top = 25, untilMs?: number): CpuSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  let total = 0;
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (untilMs !== undefined && at > untilMs * 1000) break;
    const d = p.timeDeltas[i + 1] ?? 0; // the delta after a sample is the time it stood for
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + d);
    total += d;
  }
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const file = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const name = cf.functionName || (cf.url ? '(anonymous)' : cf.functionName);
    const f = shortenUrl(cf.url);
    const where = cf.url
      ? `${f}:${originalLine(cf.url, cf.lineNumber, cf.columnNumber) ?? `${cf.lineNumber + 1} (js)`}`
      : '';
    const key = `${name}|${where}`;
    const row = fn.get(key) ?? { name: name || '(unnamed)', where, us: 0 };
    row.us += us;
    fn.set(key, row);
    const fileKey = cf.url ? f : name.startsWith('(') ? name : '(native)';
    file.set(fileKey, (file.get(fileKey) ?? 0) + us);
  }
  const rows = (xs: Array<{ name: string; where: string; us: number }>): SelfTimeRow[] =>
    xs
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((r) => ({
        name: r.name,
        where: r.where,
        selfMs: Math.round(r.us / 100) / 10,
        share: Math.round((r.us / total) * 1000) / 10,
        selfUs: r.us,
      }));
  return {
    totalMs: Math.round(total / 1000),
    functions: rows([...fn.values()]),
    files: rows([...file].map(([name, us]) => ({ name, where: '', us }))),
  };
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapRow {
  type: string;
  name: string;
  count: number;
  selfBytes: number;
  share: number;
  perUnitBytes?: number;
}
export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  rows: HeapRow[];
  byType: HeapRow[];
}

interface HeapGroup {
  type: string;
  name: string;
  count: number;
  bytes: number;
}

/** Every heap node's self size, grouped by node type and constructor name. */
function groupHeap(path: string): {
  groups: Map<string, HeapGroup>;
  byType: Map<string, HeapGroup>;
  total: number;
  nodes: number;
} {
  const s = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const nf = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  const byType = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += nf) {
    const type = types[s.nodes[i + iType]!] ?? '?';
    const size = s.nodes[i + iSize]!;
    let name = s.strings[s.nodes[i + iName]!] ?? '?';
    // Strings and code are named by their contents; group them by type alone.
    if (
      type === 'string' ||
      type === 'concatenated string' ||
      type === 'sliced string' ||
      type === 'number' ||
      type === 'code' ||
      type === 'regexp'
    )
      name = `(${type})`;
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}|${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    const t = byType.get(type) ?? { type, name: '', count: 0, bytes: 0 };
    t.count++;
    t.bytes += size;
    byType.set(type, t);
    total += size;
  }
  return { groups, byType, total, nodes: s.nodes.length / nf };
}

function heapRows(xs: HeapGroup[], total: number, top: number, per?: number): HeapRow[] {
  return xs
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top)
    .map((g) => ({
      type: g.type,
      name: g.name,
      count: g.count,
      selfBytes: g.bytes,
      share: Math.round((g.bytes / total) * 1000) / 10,
      ...(per ? { perUnitBytes: Math.round(g.bytes / per) } : {}),
    }));
}

/** Self size by node type and constructor name of a .heapsnapshot; `per` divides (e.g. by sessions). */
export function summarizeHeapSnapshot(path: string, top = 25, per?: number): HeapSummary {
  const h = groupHeap(path);
  return {
    totalBytes: h.total,
    nodes: h.nodes,
    rows: heapRows([...h.groups.values()], h.total, top, per),
    byType: heapRows([...h.byType.values()], h.total, top, per),
  };
}

/** What grew between two snapshots of one process, by type and constructor; `per` divides (e.g. by runs in between). */
export function diffHeapSnapshots(before: string, after: string, top = 25, per?: number): HeapSummary {
  const a = groupHeap(before);
  const b = groupHeap(after);
  const delta: HeapGroup[] = [];
  for (const [k, g] of b.groups) {
    const o = a.groups.get(k);
    delta.push({ type: g.type, name: g.name, count: g.count - (o?.count ?? 0), bytes: g.bytes - (o?.bytes ?? 0) });
  }
  for (const [k, o] of a.groups)
    if (!b.groups.has(k)) delta.push({ type: o.type, name: o.name, count: -o.count, bytes: -o.bytes });
  const grown = b.total - a.total;
  return {
    totalBytes: grown,
    nodes: b.nodes - a.nodes,
    rows: heapRows(delta, Math.max(1, Math.abs(grown)), top, per),
    byType: [],
  };
}

/** Plain-text rendering of a CPU summary. */
export function formatCpuSummary(title: string, c: CpuSummary, runs?: number): string {
  const perRun = (r: SelfTimeRow): string => (runs ? `  ${(r.selfUs / runs).toFixed(2).padStart(7)}` : '');
  const lines = [
    `${title}: ${c.totalMs} ms sampled`,
    `  self ms  share${runs ? '   µs/run' : ''}  function (file:line)`,
  ];
  for (const r of c.functions)
    lines.push(
      `  ${r.selfMs.toFixed(1).padStart(7)}  ${r.share.toFixed(1).padStart(4)}%${perRun(r)}  ${r.name}${r.where ? `  ${r.where}` : ''}`,
    );
  lines.push('  by file:');
  for (const r of c.files)
    lines.push(`  ${r.selfMs.toFixed(1).padStart(7)}  ${r.share.toFixed(1).padStart(4)}%${perRun(r)}  ${r.name}`);
  return `${lines.join('\n')}\n`;
}

/** Plain-text rendering of a heap summary. */
export function formatHeapSummary(title: string, h: HeapSummary, per?: number, unit = 'session'): string {
  const lines = [
    `${title}: ${(h.totalBytes / 1048576).toFixed(1)} MiB in ${h.nodes} heap objects${per ? ` (${(h.totalBytes / per / 1024).toFixed(2)} KiB per ${unit} over ${per})` : ''}`,
    `  ${'self KiB'.padStart(9)}  share  ${'count'.padStart(8)}${per ? `  ${`B/${unit}`.padStart(9)}` : ''}  type: constructor`,
  ];
  for (const r of h.rows)
    lines.push(
      `  ${(r.selfBytes / 1024).toFixed(0).padStart(9)}  ${r.share.toFixed(1).padStart(4)}%  ${String(r.count).padStart(8)}${per ? `  ${String(r.perUnitBytes).padStart(9)}` : ''}  ${r.type}: ${r.name}`,
    );
  return `${lines.join('\n')}\n`;
}

// Run directly: summarize the file named on the command line.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, ...rest] = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? Number(rest[i + 1]) : undefined;
  };
  if (!file) {
    process.stderr.write('usage: profile-summary <file.cpuprofile | file.heapsnapshot> [--top N] [--per SESSIONS]\n');
    process.exit(3);
  }
  const top = opt('--top') ?? 25;
  if (file === '--diff') {
    const [a, b] = rest;
    if (!a || !b) {
      process.stderr.write('usage: profile-summary --diff before.heapsnapshot after.heapsnapshot [--per N]\n');
      process.exit(3);
    }
    const per = opt('--per');
    process.stdout.write(formatHeapSummary(`growth ${a} -> ${b}`, diffHeapSnapshots(a, b, top, per), per, 'unit'));
  } else if (file.endsWith('.heapsnapshot')) {
    const per = opt('--per');
    process.stdout.write(formatHeapSummary(file, summarizeHeapSnapshot(file, top, per), per));
  } else {
    process.stdout.write(formatCpuSummary(file, summarizeCpuProfile(file, top)));
  }
}
