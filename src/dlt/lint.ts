/**
 * Findings on a template's content before it is registered or used, after the TRAI
 * directions of 12 May 2023 (30% fixed text) and 18 Nov 2025 (2 variables, a third only
 * with reasons; no variables side by side).
 */
import { type DltLimits, resolveLimits } from './model.ts';
import { type CompiledTemplate, compiled, type VariableToken } from './template.ts';
import { maxLengthOf } from './variables.ts';

export type LintCode =
  | 'TEMPLATE_TOO_MANY_VARIABLES'
  | 'TEMPLATE_ADJACENT_VARIABLES'
  | 'TEMPLATE_ANGLE_BRACKETS'
  | 'TEMPLATE_LOW_FIXED_TEXT'
  | 'TEMPLATE_UNKNOWN_VARIABLE';

export interface LintFinding {
  code: LintCode;
  severity: 'error' | 'warning';
  message: string;
  /** UTF-16 index in the template content. */
  at?: number;
}

export interface LintOptions {
  limits?: Partial<DltLimits>;
  /** Reasons for an extra variable are recorded: the third variable is a warning, not an error. */
  reasonForExtraVariable?: boolean;
}

// A separator that is only spaces, commas and other non-letters does not keep variables apart.
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

export function lintTemplate(
  template: string | CompiledTemplate,
  options?: LintOptions,
): LintFinding[] {
  const t = compiled(template);
  const limits = resolveLimits(options?.limits);
  const findings: LintFinding[] = [];

  for (const u of t.unknownPlaceholders) {
    findings.push({
      code: 'TEMPLATE_UNKNOWN_VARIABLE',
      severity: 'error',
      message: `${u.text} is not a DLT variable (placeholders are case-sensitive: {#var#}, {#numeric#}, {#alphanumeric#}, {#url#}, {#urlott#}, {#cbn#}, {#email#}, {#otp#}); it would have to appear literally in every message.`,
      at: u.start,
    });
  }

  const count = t.variables.length;
  if (count > limits.maxVariables) {
    const justified =
      options?.reasonForExtraVariable === true && count <= limits.maxVariablesWithReason;
    const extra = t.variables[limits.maxVariables]!;
    findings.push({
      code: 'TEMPLATE_TOO_MANY_VARIABLES',
      severity: justified ? 'warning' : 'error',
      message: justified
        ? `${count} variables: more than ${limits.maxVariables} are allowed only with recorded reasons.`
        : `${count} variables: at most ${limits.maxVariables} are allowed (${limits.maxVariablesWithReason} with recorded reasons).`,
      at: extra.start,
    });
  }

  let previous: VariableToken | null = null;
  let between = '';
  for (const token of t.tokens) {
    if (token.type === 'fixed') {
      between = token.text;
      continue;
    }
    if (previous && !LETTER_OR_DIGIT.test(between)) {
      findings.push({
        code: 'TEMPLATE_ADJACENT_VARIABLES',
        severity: 'error',
        message:
          between === ''
            ? `{#${previous.kind}#} and {#${token.kind}#} are next to each other; put words between them.`
            : `{#${previous.kind}#} and {#${token.kind}#} are separated only by ${JSON.stringify(between)}; put words between them.`,
        at: token.start,
      });
    }
    previous = token;
    between = '';
  }

  for (const token of t.tokens) {
    if (token.type !== 'fixed') continue;
    for (let i = 0; i < token.text.length; i++) {
      const ch = token.text[i];
      if (ch !== '<' && ch !== '>') continue;
      findings.push({
        code: 'TEMPLATE_ANGLE_BRACKETS',
        severity: 'error',
        message: `'${ch}' is not accepted in DLT templates.`,
        at: token.start + i,
      });
    }
  }

  // Worst case: every variable at its longest. A template that passes keeps the share of
  // fixed text above the minimum in every message it can produce.
  if (count > 0) {
    const variableMax = t.variables.reduce((sum, v) => sum + maxLengthOf(v.kind, limits), 0);
    const ratio = t.fixedLength / (t.fixedLength + variableMax);
    if (ratio < limits.minFixedTextRatio) {
      const pct = (x: number) => `${Math.round(x * 100)}%`;
      findings.push({
        code: 'TEMPLATE_LOW_FIXED_TEXT',
        severity: 'warning',
        message: `Fixed text is ${pct(ratio)} of the longest message (${t.fixedLength} of ${t.fixedLength + variableMax} characters); at least ${pct(limits.minFixedTextRatio)} is required.`,
      });
    }
  }

  return findings.sort(
    (a, b) => (a.at ?? Number.MAX_SAFE_INTEGER) - (b.at ?? Number.MAX_SAFE_INTEGER),
  );
}
