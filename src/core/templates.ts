/** The names a `{{...}}` template may use in a flow. */
const TEMPLATE_NAMES = ['user', 'cohort', 'iteration', 'thread'] as const;
/** One of {@link TEMPLATE_NAMES}. */
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Values for rendering; `thread` is absent until the user created one. */
export type TemplateValues = Readonly<Partial<Record<TemplateName, string>>>;

/** A template split once into literal text and names, so rendering is a join. */
export interface CompiledTemplate {
  readonly parts: readonly string[];
  /** names[i] sits between parts[i] and parts[i+1]. */
  readonly names: readonly TemplateName[];
}

const TOKEN_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Compiles `text`; unknown names are returned as problems (one message each). */
export function compileTemplate(text: string): CompiledTemplate | string[] {
  const parts: string[] = [];
  const names: TemplateName[] = [];
  const problems: string[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const name = m[1]!;
    if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) {
      problems.push(
        `template "{{${name}}}" names nothing; expected one of ${TEMPLATE_NAMES.map((n) => `{{${n}}}`).join(', ')}`,
      );
    }
    parts.push(text.slice(last, m.index));
    names.push(name as TemplateName);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  if (/\{\{|\}\}/.test(parts.join(''))) problems.push(`unbalanced "{{" or "}}" in "${text}"`);
  return problems.length ? problems : { parts, names };
}

/** Renders a compiled template; a missing value renders as an empty string. */
export function renderTemplate(t: CompiledTemplate, values: TemplateValues): string {
  if (t.names.length === 0) return t.parts[0]!;
  let s = t.parts[0]!;
  for (let i = 0; i < t.names.length; i++) s += (values[t.names[i]!] ?? '') + t.parts[i + 1]!;
  return s;
}

/** The template names used anywhere inside `value` (strings, arrays, objects). */
export function collectTemplateNames(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(TOKEN_RE)) out.add(m[1]!);
  else if (Array.isArray(value)) for (const v of value) collectTemplateNames(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectTemplateNames(v, out);
  return out;
}

/** Renders every string inside a JSON-like value (metadata, login bodies). */
export function renderDeep(value: unknown, values: TemplateValues): unknown {
  if (typeof value === 'string') {
    const c = compileTemplate(value);
    return Array.isArray(c) ? value : renderTemplate(c, values);
  }
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, values));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, values);
    return out;
  }
  return value;
}
