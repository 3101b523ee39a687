/** Faults the reference target can inject (design.md), each with a probability. */
export const FAULT_NAMES = [
  'misroute',
  'broadcast',
  'rewrite',
  'content',
  'rest_list',
  'idor',
  'auth_bypass',
  'case',
  'double',
  'binary',
  'nonobject',
  'reference',
  'rest_error',
  'late',
  'handshake',
  'drop',
  'duplicate',
  'reorder',
  'delay',
  'disconnect',
  'http_500',
] as const;
/** One of {@link FAULT_NAMES}. */
export type FaultName = (typeof FAULT_NAMES)[number];
/** Probability per event or request of each fault; absent means never. */
export type FaultSpec = Readonly<Partial<Record<FaultName, number>>>;

/**
 * Parses `misroute=0.005,drop=0.01` (probabilities 0..1, or percentages such
 * as `0.5%`). Returns the spec, or the problems found.
 */
export function parseFaultSpec(text: string): FaultSpec | string[] {
  const spec: Partial<Record<FaultName, number>> = {};
  const problems: string[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z_0-9]+)\s*=\s*(\d+(?:\.\d+)?)(%?)$/.exec(part);
    if (!m) {
      problems.push(`"${part}" is not name=probability (e.g. misroute=0.005)`);
      continue;
    }
    const name = m[1] as FaultName;
    if (!FAULT_NAMES.includes(name)) {
      problems.push(`unknown fault "${m[1]}"; expected one of ${FAULT_NAMES.join(', ')}`);
      continue;
    }
    const p = Number(m[2]) / (m[3] ? 100 : 1);
    if (!(p >= 0 && p <= 1)) {
      problems.push(`fault ${name}: probability ${m[2]}${m[3]} is outside 0..1`);
      continue;
    }
    spec[name] = p;
  }
  return problems.length ? problems : spec;
}
