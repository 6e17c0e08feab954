import type { z } from 'zod';

import { redactUrlCredentials } from '../camera/redact.js';
import type { Locale } from '../i18n/locale.js';
import type { MessageParams } from '../i18n/translate.js';
import type { ConfigIssue } from './config-error.js';
import { configMessages, type ConfigMessageKey } from './messages.js';
import {
  allKeyPaths,
  allowedKeysAt,
  describeKey,
  discriminatorOf,
  discriminatorValue,
  schemaAtPath,
  unionOptions,
  valueAtPath,
} from './schema-walk.js';
import { closestMatch } from './suggest.js';

export type Locate = (path: readonly PropertyKey[], keyOnly?: boolean) => { line: number; column: number } | undefined;

interface IssueContext {
  readonly root: z.ZodType;
  readonly data: unknown;
  readonly locale: Locale;
  readonly locate: Locate;
}

type ZodIssue = z.core.$ZodIssue;

/** Turn zod's issues into localised ConfigIssues with key path, value and fix, ordered by position in the file. */
export function toConfigIssues(zodIssues: readonly ZodIssue[], context: IssueContext): ConfigIssue[] {
  const issues = zodIssues.flatMap((issue) => convert(issue, context));
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map(({ issue }) => issue);
}

/** Build one ConfigIssue from a message key; its fix is the key with `.fix` appended. */
export function makeIssue(
  context: Pick<IssueContext, 'locale' | 'locate'>,
  path: readonly PropertyKey[],
  code: ConfigMessageKey,
  params: MessageParams,
  options: { value?: string; fixCode?: ConfigMessageKey; keyOnly?: boolean } = {},
): ConfigIssue {
  const t = configMessages.translator(context.locale);
  const fixCode = options.fixCode ?? (`${code}.fix` as ConfigMessageKey);
  const position = context.locate(path, options.keyOnly);
  return {
    path: path.map(String).join('.'),
    code,
    value: options.value,
    message: t(code, params),
    fix: configMessages.has(fixCode) ? t(fixCode, params) : '',
    params,
    fixCode,
    line: position?.line,
    column: position?.column,
  };
}

function convert(issue: ZodIssue, context: IssueContext): ConfigIssue[] {
  const { root, data, locale } = context;
  const path = issue.path;
  const value = valueAtPath(data, path);
  const shown = renderValue(value);
  const schema = schemaAtPath(root, path, data);
  const info = schema === undefined ? undefined : describeKey(schema);
  const description = info?.description ?? '';
  const t = configMessages.translator(locale);
  const base: MessageParams = { value: shown ?? '', description };

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(context, [...path, key], allowedKeysAt(root, path, data)));

    case 'invalid_type': {
      if (value === undefined) return [missingKey(context, path, schema)];
      if (issue.expected === 'int') return [rangeIssue(context, path, 'value.notInteger', info, shown)];
      const expected = typeName(issue.expected, t);
      const received = typeName(typeOfValue(value), t);
      // A null has nothing to show beyond its type name.
      const params = { ...base, expected, received, value: value === null ? '' : (shown ?? '') };
      return [makeIssue(context, path, 'type.wrong', params, { value: shown })];
    }

    case 'too_small':
    case 'too_big': {
      if (issue.origin === 'string') return [makeIssue(context, path, 'value.empty', base, { value: shown })];
      if (issue.origin === 'array') {
        return [makeIssue(context, path, 'value.tooFew', { ...base, min: Number(issue.code === 'too_small' ? issue.minimum : 0) })];
      }
      return [rangeIssue(context, path, 'value.outOfRange', info, shown)];
    }

    case 'invalid_value':
      return [makeIssue(context, path, 'value.notOneOf', { ...base, allowed: issue.values.map(String).join(', ') }, { value: shown })];

    case 'invalid_union': {
      const note = (issue as { note?: string }).note;
      const options = (issue as { options?: unknown[] }).options;
      if (note === 'No matching discriminator' && Array.isArray(options)) {
        const allowed = options.map(String).join(', ');
        if (value === undefined) {
          return [makeIssue(context, path, 'key.missing', { ...base, allowed }, { fixCode: 'key.missing.choice.fix' })];
        }
        return [makeIssue(context, path, 'value.notOneOf', { ...base, allowed }, { value: shown })];
      }
      return [ruleIssue(context, path, info?.meta.rule, issue, base, shown)];
    }

    case 'custom':
      return [ruleIssue(context, path, issue.params?.rule, issue, base, shown)];

    default:
      return [ruleIssue(context, path, info?.meta.rule, issue, base, shown)];
  }
}

function unknownKey(context: IssueContext, path: PropertyKey[], allowed: string[]): ConfigIssue {
  const key = String(path[path.length - 1]);
  const params = { key, allowed: allowed.join(', ') };
  const options = { value: key, keyOnly: true };
  const nearby = closestMatch(key, allowed);
  if (nearby !== undefined) {
    return makeIssue(context, path, 'key.unknown', { ...params, suggestion: nearby }, { ...options, fixCode: 'key.unknown.suggest' });
  }
  // A correct key at the wrong level, such as door.pulseMs for door.relay.pulseMs. A key that is valid
  // at this very path for another union option (camera.device under type: rtsp) only gets the allowed list.
  const ownPath = path.map(String).join('.');
  const known = allKeyPaths(context.root);
  const elsewhere = known.filter((candidate) => {
    const last = candidate.split('.').pop() ?? '';
    return last.toLowerCase() === key.toLowerCase();
  });
  if (elsewhere.length > 0 && !known.includes(ownPath)) {
    return makeIssue(context, path, 'key.unknown', { ...params, suggestion: elsewhere.join(', ') }, { ...options, fixCode: 'key.unknown.elsewhere' });
  }
  return makeIssue(context, path, 'key.unknown', params, options);
}

function missingKey(context: IssueContext, path: readonly PropertyKey[], schema: z.ZodType | undefined): ConfigIssue {
  const info = schema === undefined ? undefined : describeKey(schema);
  const inner = info?.inner;
  const discriminator = inner === undefined ? undefined : discriminatorOf(inner);
  if (inner !== undefined && discriminator !== undefined) {
    const choices = unionOptions(inner).map((option) => `${discriminator}: ${discriminatorValue(option, discriminator) ?? '?'}`);
    return makeIssue(context, path, 'key.missing', { allowed: choices.join(', ') }, { fixCode: 'key.missing.choice.fix' });
  }
  return makeIssue(context, path, 'key.missing', { description: info?.description ?? '' });
}

function rangeIssue(
  context: IssueContext,
  path: readonly PropertyKey[],
  code: 'value.outOfRange' | 'value.notInteger',
  info: ReturnType<typeof describeKey> | undefined,
  shown: string | undefined,
): ConfigIssue {
  const bounds = info?.inner as { minValue?: number | null; maxValue?: number | null } | undefined;
  const min = bounds?.minValue ?? '-∞';
  const max = bounds?.maxValue ?? '∞';
  return makeIssue(context, path, code, { value: shown ?? '', min, max }, { value: shown });
}

function ruleIssue(
  context: IssueContext,
  path: readonly PropertyKey[],
  rule: unknown,
  issue: ZodIssue,
  base: MessageParams,
  shown: string | undefined,
): ConfigIssue {
  const code = `rule.${String(rule)}`;
  if (typeof rule !== 'string' || !configMessages.has(code)) {
    return makeIssue(context, path, 'value.invalid', base, { value: shown });
  }
  const params: MessageParams = { ...base };
  const raw = (issue as { params?: Record<string, unknown> }).params ?? {};
  const parent = path.slice(0, -1).map(String);
  for (const [name, param] of Object.entries(raw)) {
    if (typeof param !== 'string' && typeof param !== 'number') continue;
    // Sibling key names from order checks are shown as full paths, so the technician finds both keys.
    params[name] = (name === 'lowKey' || name === 'highKey') && typeof param === 'string' ? [...parent, param].join('.') : param;
  }
  return makeIssue(context, path, code as ConfigMessageKey, params, { value: shown });
}

/** Render a value as JSON, shortened to 80 characters, with URL credentials removed. */
export function renderValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : String(value);
  const safe = redactUrlCredentials(text);
  return safe.length > 80 ? `${safe.slice(0, 77)}...` : safe;
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeName(kind: string, t: (key: ConfigMessageKey) => string): string {
  switch (kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'object':
    case 'array':
    case 'null':
      return t(`type.${kind}`);
    case 'int':
      return t('type.integer');
    default:
      return t('type.value');
  }
}
