// Command-line overrides of a scenario (`--set path=value`, `--target URL`, `--publish`, `--metrics-port`),
// applied to the YAML document before it is validated, so the values they
// set are checked like the file's own and problems name the flag.
import { isMap, isSeq, parse as parseYamlValue, type Document, type LineCounter } from 'yaml';
import type { InputProblem } from '../core/sim-error.js';
import { formatPath, locate } from './yaml-locator.js';

/** Command-line overrides applied on top of the file. */
export interface ScenarioOverrides {
  /** `--set path=value`, applied to the YAML before validation. */
  readonly set?: readonly string[];
  /** `--target URL`. */
  readonly targetUrl?: string;
  /** `--publish KIND=URL`, each appended to `outputs.publish`. */
  readonly publish?: readonly string[];
  /** `--metrics-port N`, which sets `outputs.metricsPort`. */
  readonly metricsPort?: string;
}

/** A part of the document a flag created: problems under `prefix` are blamed on `source` (`--set`, `--target`). */
export interface CreatedByFlag {
  readonly prefix: string;
  readonly source: string;
}

/**
 * Applies `--set` (each in turn), `--target`, `--publish` and `--metrics-port` to the document. Problems
 * (a malformed path or value, a target that is not a mapping) are pushed to
 * `problems`; returns what the flags created.
 */
export function applyOverrides(
  doc: Document,
  lc: LineCounter,
  file: string,
  overrides: ScenarioOverrides,
  problems: InputProblem[],
): CreatedByFlag[] {
  const created: CreatedByFlag[] = [];
  for (const s of overrides.set ?? []) applySet(doc, s, file, problems, created);
  if (overrides.targetUrl !== undefined) {
    const t = doc.get('target', true);
    if (t !== undefined && t !== null && !isMap(t)) {
      problems.push(
        locate(
          doc,
          lc,
          file,
          ['target'],
          `expected a mapping such as { url: ... } (--target sets target.url), got ${JSON.stringify((doc.toJS() as { target?: unknown }).target)}`,
        ),
      );
    } else {
      doc.setIn(['target', 'url'], overrides.targetUrl);
      created.push({ prefix: 'target.url', source: '--target' });
    }
  }
  applyOutputFlags(doc, lc, file, overrides, problems, created);
  return created;
}

/**
 * `--publish` and `--metrics-port` written into the document's `outputs`
 * (appended to `publish`, setting `metricsPort`), so flags and file are
 * checked by one schema and a bad flag is blamed on the flag.
 */
function applyOutputFlags(
  doc: Document,
  lc: LineCounter,
  file: string,
  o: ScenarioOverrides,
  problems: InputProblem[],
  created: CreatedByFlag[],
): void {
  if (!o.publish?.length && o.metricsPort === undefined) return;
  const outputs = doc.get('outputs', true);
  if (outputs !== undefined && outputs !== null && !isMap(outputs)) {
    problems.push(
      locate(
        doc,
        lc,
        file,
        ['outputs'],
        'expected a mapping such as { publish: [...], metricsPort: 9464 } (--publish and --metrics-port add to it)',
      ),
    );
    return;
  }
  if (o.publish?.length) {
    const list = doc.getIn(['outputs', 'publish'], true);
    if (list !== undefined && list !== null && !isSeq(list)) {
      problems.push(
        locate(
          doc,
          lc,
          file,
          ['outputs', 'publish'],
          'expected a list of outputs such as ["prometheus-rw=http://127.0.0.1:9090/api/v1/write"] (--publish adds to it)',
        ),
      );
      return;
    }
    let n = isSeq(list) ? list.items.length : 0;
    if (!isSeq(list)) doc.setIn(['outputs', 'publish'], doc.createNode([]));
    for (const spec of o.publish) {
      doc.addIn(['outputs', 'publish'], spec);
      created.push({ prefix: `outputs.publish[${n++}]`, source: '--publish' });
    }
  }
  if (o.metricsPort !== undefined) {
    doc.setIn(['outputs', 'metricsPort'], /^\d+$/.test(o.metricsPort) ? Number(o.metricsPort) : o.metricsPort);
    created.push({ prefix: 'outputs.metricsPort', source: '--metrics-port' });
  }
}

/** Splits `cohorts.chatters.stages[1].users` or `thresholds["run.total"]` into parts; undefined when malformed. */
function parseSetPath(text: string): Array<string | number> | undefined {
  const parts: Array<string | number> = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '[') {
      const m = /^\[(\d+)\]|^\["((?:[^"\\]|\\.)*)"\]/.exec(text.slice(i));
      if (!m) return undefined;
      if (m[1] !== undefined) parts.push(Number(m[1]));
      else {
        try {
          parts.push(JSON.parse(`"${m[2]}"`) as string);
        } catch {
          return undefined;
        }
      }
      i += m[0].length;
    } else {
      if (parts.length > 0) {
        if (text[i] !== '.') return undefined;
        i++;
      }
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
  }
  if (!parts.length) return undefined;
  // Metric names hold dots: `thresholds.run.total` names the metric "run.total".
  if (parts[0] === 'thresholds' && parts.length > 2) {
    const end = parts.findIndex((p, k) => k > 0 && typeof p === 'number');
    const stop = end === -1 ? parts.length : end;
    return ['thresholds', parts.slice(1, stop).join('.'), ...parts.slice(stop)];
  }
  return parts;
}

function applySet(doc: Document, spec: string, file: string, problems: InputProblem[], created: CreatedByFlag[]): void {
  const eq = spec.indexOf('=');
  const pathText = eq > 0 ? spec.slice(0, eq).trim() : '';
  const parts = parseSetPath(pathText);
  if (!parts) {
    problems.push({
      file: '--set',
      message: `"${spec}" is not path=value (e.g. cohorts.chatters.users=20 or thresholds["run.total"]=["p(95) < 2s"])`,
    });
    return;
  }
  let value: unknown;
  try {
    value = parseYamlValue(spec.slice(eq + 1));
  } catch {
    problems.push({ file: '--set', message: `"${spec}": the value is not valid YAML` });
    return;
  }
  // An index may replace an item or append one, never leave holes.
  for (let k = 0; k < parts.length - 1; k++) {
    const p = parts[k + 1];
    if (typeof p !== 'number') continue;
    const parent = doc.getIn(parts.slice(0, k + 1), true) as { items?: unknown[] } | undefined;
    if (parent?.items && p > parent.items.length) {
      problems.push({
        file: '--set',
        path: pathText,
        message: `index ${p} is past the end of a list of ${parent.items.length}`,
      });
      return;
    }
  }
  // The first part of the path that did not exist is where the flag's own value starts.
  let k = 1;
  while (k < parts.length && doc.hasIn(parts.slice(0, k))) k++;
  try {
    doc.setIn(parts, doc.createNode(value));
    created.push({ prefix: formatPath(parts.slice(0, k)), source: '--set' });
  } catch {
    problems.push({
      file: '--set',
      path: pathText,
      message: `cannot set ${pathText} in ${file}: a parent is not a mapping or list`,
    });
  }
}
