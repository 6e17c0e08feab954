import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { z } from 'zod';

import { PROJECT_ROOT } from '../common/paths.js';
import { configSchema } from './schema.js';
import { describeKey, discriminatorOf, discriminatorValue, isObjectSchema, unionOptions } from './schema-walk.js';

export const CONFIG_DOC_PATH = path.join(PROJECT_ROOT, 'docs', 'config.md');

interface Row {
  readonly key: string;
  readonly type: string;
  readonly defaultText: string;
  readonly allowed: string;
  readonly description: string;
}

// Plain-language names for the rules in schema.ts, shown in the "allowed" column.
const RULE_TEXT: Record<string, string> = {
  absolutePath: 'absolute path',
  identifier: '1–64 of `A-Z a-z 0-9 _ -`',
  gpioLine: 'line name (`GPIO17`) or `{ chip, offset }`',
  rtspUrl: '`rtsp://` or `rtsps://` URL',
  httpUrl: '`http://` or `https://` URL',
  mqttsUrl: '`mqtts://host:port`, no credentials',
  brokerPattern: 'host name, IP address or `*.domain`',
};

/** Render docs/config.md from the schema: every key with its type, default, allowed values and description. */
export function renderConfigDocs(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from appliance/config/schema.ts by `npx tsx appliance/config/docs.ts --write`; edit the schema, not this file. -->',
    '',
    'facegate reads its configuration from one YAML file; `examples/facegate.yaml` is a complete example.',
    'Unknown keys are rejected at every level, and every problem is reported at once with its key path, the value found and the fix.',
    'A key marked *required* has no default. Durations carry their unit in the name (`Ms`, `S`, `H`).',
    '',
    'Rules that involve two keys:',
    '',
    '- `mqtt.url` must name a host listed in `residency.allowedBrokers`.',
    '- `door.relay.pulseMs` must be shorter than `door.heldOpenMs`.',
    '- Each GPIO line may be used by one signal only.',
    '- `door.gpio.chip` applies only to `chardev`, `door.gpio.sysfsRoot` only to `sysfs`; `simulated` is used only when written in the file.',
    '- `camera.backoff.initialMs` ≤ `camera.backoff.maxMs`, `mqtt.backoffMinMs` ≤ `mqtt.backoffMaxMs`, `vision.brightness.min` < `vision.brightness.max`, `decision.trackTimeoutMs` < `decision.maxTrackAgeMs`.',
    '- `camera.type: rpicam` with `codec: yuv420` needs a capture width that is a multiple of 64.',
    '',
  ];

  const root = describeKey(configSchema).inner as z.ZodObject;
  const topLevel: Row[] = [];
  for (const [key, child] of Object.entries(root.shape)) {
    const info = describeKey(child as z.ZodType);
    if (isObjectSchema(info.inner) || discriminatorOf(info.inner) !== undefined) continue;
    topLevel.push(row(key, child as z.ZodType));
  }
  out.push('## Top level', '', ...table(topLevel), '');

  for (const [key, child] of Object.entries(root.shape)) {
    const info = describeKey(child as z.ZodType);
    const discriminator = discriminatorOf(info.inner);
    if (discriminator !== undefined) {
      out.push(...unionSection(key, info.description, info.inner, discriminator));
    } else if (isObjectSchema(info.inner)) {
      out.push(`## ${key}`, '', ...(info.description === undefined ? [] : [info.description, '']));
      out.push(...table(objectRows(info.inner, key)), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function unionSection(key: string, description: string | undefined, union: z.ZodType, discriminator: string): string[] {
  const options = unionOptions(union).filter(isObjectSchema);
  const shared = Object.keys(options[0]?.shape ?? {}).filter(
    (name) => name !== discriminator && options.every((option) => name in option.shape),
  );
  const out = [`## ${key}`, '', ...(description === undefined ? [] : [description, ''])];
  const first = options[0];
  if (first !== undefined) {
    out.push(`Keys for every \`${discriminator}\`:`, '');
    const rows = shared.flatMap((name) => keyRows(`${key}.${name}`, first.shape[name] as z.ZodType));
    out.push(...table(rows), '');
  }
  for (const option of options) {
    const value = discriminatorValue(option, discriminator) ?? '?';
    const own = Object.keys(option.shape).filter((name) => name !== discriminator && !shared.includes(name));
    out.push(`### ${key}.${discriminator}: ${value}`, '');
    if (option.description !== undefined) out.push(option.description, '');
    if (own.length === 0) continue;
    out.push(...table(own.flatMap((name) => keyRows(`${key}.${name}`, option.shape[name] as z.ZodType))), '');
  }
  return out;
}

function objectRows(schema: z.ZodObject, prefix: string): Row[] {
  return Object.entries(schema.shape).flatMap(([name, child]) => keyRows(`${prefix}.${name}`, child as z.ZodType));
}

/** Build the row for a key, followed by rows for its nested keys when it is an object. */
function keyRows(key: string, schema: z.ZodType): Row[] {
  const info = describeKey(schema);
  if (!isObjectSchema(info.inner)) return [row(key, schema)];
  const heading: Row = {
    key,
    type: 'section',
    defaultText: info.optional ? 'unset' : '',
    allowed: '',
    description: info.description ?? '',
  };
  return [heading, ...objectRows(info.inner, key)];
}

function row(key: string, schema: z.ZodType): Row {
  const info = describeKey(schema);
  return {
    key,
    type: typeText(info.inner),
    defaultText: info.hasDefault ? `\`${formatValue(info.defaultValue)}\`` : info.optional ? 'unset' : '*required*',
    allowed: allowedText(info.inner, info.meta),
    description: info.description ?? '',
  };
}

function typeText(schema: z.ZodType): string {
  const def = schema.def as { type: string; element?: z.ZodType };
  switch (def.type) {
    case 'number':
      return (schema as z.ZodNumber).isInt ? 'integer' : 'number';
    case 'enum':
    case 'literal':
      return 'string';
    case 'array':
      return `list of ${def.element === undefined ? 'values' : typeText(describeKey(def.element).inner)}`;
    case 'union':
      return 'string or mapping';
    default:
      return def.type;
  }
}

function allowedText(schema: z.ZodType, meta: Record<string, unknown>): string {
  const def = schema.def as { type: string; values?: unknown[]; element?: z.ZodType };
  if (def.type === 'number') {
    const number = schema as z.ZodNumber;
    return `${formatNumber(number.minValue)} – ${formatNumber(number.maxValue)}`;
  }
  if (def.type === 'enum') return (schema as z.ZodEnum).options.map((value) => `\`${String(value)}\``).join(', ');
  if (def.type === 'literal') return (def.values ?? []).map((value) => `\`${String(value)}\``).join(', ');
  if (def.type === 'array' && def.element !== undefined) {
    const element = describeKey(def.element);
    const checks = (def as { checks?: Array<{ _zod: { def: { check?: string; minimum?: number } } }> }).checks ?? [];
    const minItems = checks.find((check) => check._zod.def.check === 'min_length')?._zod.def.minimum;
    const each = allowedText(element.inner, element.meta);
    const parts = [minItems === undefined ? '' : `at least ${minItems}`, each === '' ? '' : `each: ${each}`];
    return parts.filter((part) => part !== '').join('; ');
  }
  const rule = typeof meta.rule === 'string' ? meta.rule : ruleOf(schema);
  return rule === undefined ? '' : (RULE_TEXT[rule] ?? '');
}

// Rules added with .refine() sit in the schema's checks as custom checks carrying `params.rule`.
function ruleOf(schema: z.ZodType): string | undefined {
  const checks = (schema.def as { checks?: Array<{ _zod: { def: { params?: { rule?: unknown } } } }> }).checks ?? [];
  for (const check of checks) {
    const rule = check._zod.def.params?.rule;
    if (typeof rule === 'string' && rule in RULE_TEXT) return rule;
  }
  return undefined;
}

function formatNumber(value: number | null): string {
  if (value === null) return '…';
  return Math.abs(value) < 0.001 && value !== 0 ? value.toExponential() : String(value);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return '{}';
  return JSON.stringify(value);
}

function table(rows: readonly Row[]): string[] {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '| key | type | default | allowed | description |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) => `| \`${r.key}\` | ${r.type} | ${escape(r.defaultText)} | ${escape(r.allowed)} | ${escape(r.description)} |`,
    ),
  ];
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderConfigDocs();
  if (process.argv.includes('--write')) {
    writeFileSync(CONFIG_DOC_PATH, text);
    process.stdout.write(`wrote ${CONFIG_DOC_PATH}\n`);
  } else {
    process.stdout.write(text);
  }
}
