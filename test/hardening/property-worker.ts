// Worker thread of the property test: makes and compiles cases one by one,
// telling the main thread which case it starts, so a hang (a synchronous
// loop that never returns) is caught by the main thread's watchdog.
import { parentPort, workerData } from 'node:worker_threads';
import { buildCase, type CaseInfo, type PropertyJob } from './property-cases.js';
import { checkCompile } from './property-check.js';

/** Messages to the main thread. */
export type PropertyMessage =
  | { readonly type: 'begin'; readonly i: number }
  | {
      readonly type: 'done';
      readonly i: number;
      readonly mode: CaseInfo['mode'];
      readonly kind: 'scenario' | 'input' | 'broken';
      readonly ms: number;
      readonly ops: readonly string[];
      /** Only for broken or non-finite outcomes (to print). */
      readonly case?: CaseInfo;
      readonly why?: string;
      readonly nonFinite?: readonly string[];
    }
  | { readonly type: 'end' };

if (parentPort) {
  const job = workerData as PropertyJob;
  const port = parentPort;
  for (let i = 0; i < job.mutants + job.overrides; i++) {
    port.postMessage({ type: 'begin', i } satisfies PropertyMessage);
    const c = buildCase(job, i);
    const v =
      c.mode === 'mutant'
        ? checkCompile(c.text, job.file)
        : checkCompile(
            c.text,
            job.file,
            { ...(c.set ? { set: c.set } : {}), ...(c.targetUrl !== undefined ? { targetUrl: c.targetUrl } : {}) },
            ['--set', '--target'],
          );
    const interesting = v.kind === 'broken' || (v.nonFinite?.length ?? 0) > 0;
    port.postMessage({
      type: 'done',
      i,
      mode: c.mode,
      kind: v.kind,
      ms: v.ms,
      ops: c.ops,
      ...(interesting ? { case: c } : {}),
      ...(v.why ? { why: v.why } : {}),
      ...(v.nonFinite?.length ? { nonFinite: v.nonFinite } : {}),
    } satisfies PropertyMessage);
  }
  port.postMessage({ type: 'end' } satisfies PropertyMessage);
}
