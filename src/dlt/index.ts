/** The pure DLT core: registry records, template parsing, matching, lint, look-up, body checks. */

export type { BodySlot, ParsedBody, ShapeRun, VariableShape } from './body.ts';
export { parseBody } from './body.ts';
export type { BodyCheck, CheckBodyOptions } from './check-body.ts';
export { ANY_SHAPE, checkBody, DEFAULT_VARIABLE_SHAPES } from './check-body.ts';
export type { FoundTemplate, TemplateIndexOptions } from './find.ts';
export { findTemplates, TemplateIndex } from './find.ts';
export type { LintCode, LintFinding, LintOptions } from './lint.ts';
export { lintTemplate } from './lint.ts';
export type { MatchFailureCode, MatchOptions, MatchResult } from './match.ts';
export { END_OF_MESSAGE, matchTemplate } from './match.ts';
export type {
  CategoryRules,
  DltEntity,
  DltHeader,
  DltLimits,
  DltTemplate,
  DltTemplateCategory,
  DltTemplateStatus,
  HeaderRules,
  SmsType,
} from './model.ts';
export {
  categoryAllows,
  checkCategory,
  DEFAULT_DLT_LIMITS,
  DEFAULT_HEADER_RULES,
  hasTypicalDltIdLength,
  headerAllows,
  resolveLimits,
  SENDER_ID_MAX_LENGTH,
  validateEntityId,
  validateHeader,
  validateTemplateId,
} from './model.ts';
export type { RegistryRecords, RegistryRefusal, RegistryRequest } from './registry-rules.ts';
export { checkRegistry, smsTypeOf } from './registry-rules.ts';
export type {
  CompiledTemplate,
  FixedToken,
  TemplateToken,
  UnknownPlaceholder,
  VariableToken,
} from './template.ts';
export { compileTemplate } from './template.ts';
export type { DltWhitelist, VariableFailure, VariableKind } from './variables.ts';
export {
  checkValue,
  isWhitelistedCallbackNumber,
  isWhitelistedUrl,
  VARIABLE_KINDS,
} from './variables.ts';
