import { readFileSync } from 'node:fs';
import path from 'node:path';

import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

import { resolveLocale, type Locale } from '../i18n/locale.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { makeIssue, toConfigIssues, type Locate } from './issues.js';
import { configSchema, type ParsedConfig } from './schema.js';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The configuration after validation, with every path that defaults to a place under stateDir filled in. */
export type ResolvedConfig = Omit<ParsedConfig, 'mqtt' | 'keys'> & {
  mqtt: ParsedConfig['mqtt'] & { caFile: string; certFile: string; keyFile: string };
  keys: ParsedConfig['keys'] & { deviceKeyFile: string; fleetPublicKeyFile: string };
};

/** The validated, frozen configuration the daemon runs with. */
export type FacegateConfig = DeepReadonly<ResolvedConfig>;

export interface LoadConfigOptions {
  /** Language of the error messages; by default FACEGATE_LANG, then the POSIX locale, then English. */
  readonly locale?: Locale | string;
}

/**
 * Read, parse and validate a YAML configuration file.
 * Throws a ConfigError that lists every problem (key path, value and fix) when anything is wrong.
 */
export function loadConfig(file: string, options: LoadConfigOptions = {}): FacegateConfig {
  const locale = resolveLocale(options.locale);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const errno = error as NodeJS.ErrnoException;
    const context = { locale, locate: () => undefined };
    const issue =
      errno.code === 'ENOENT'
        ? makeIssue(context, [], 'file.missing', { file })
        : makeIssue(context, [], 'file.unreadable', { file, reason: errno.code ?? errno.message });
    throw new ConfigError(file, [issue], locale);
  }
  return parseConfig(text, { locale, file });
}

/** Validate configuration text, for `loadConfig` and for tools that check a file before installing it. */
export function parseConfig(text: string, options: LoadConfigOptions & { file?: string } = {}): FacegateConfig {
  const locale = resolveLocale(options.locale);
  const file = options.file ?? '<config>';
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });

  if (document.errors.length > 0) {
    const context = { locale, locate: () => undefined };
    const issues = document.errors.map((error) => {
      const position = error.linePos?.[0];
      const detail = error.message.split(' at line ')[0] ?? error.message;
      const issue = makeIssue(context, [], 'yaml.syntax', {
        line: position?.line ?? '?',
        column: position?.col ?? '?',
        detail,
      });
      return { ...issue, line: position?.line, column: position?.col };
    });
    throw new ConfigError(file, issues, locale);
  }

  const data: unknown = document.toJS({ maxAliasCount: 100 }) ?? {};
  const locate = locator(document, lineCounter);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const kind = Array.isArray(data) ? '[…]' : JSON.stringify(data);
    throw new ConfigError(file, [makeIssue({ locale, locate }, [], 'yaml.notMapping', { kind })], locale);
  }
  return validateConfig(data, { locale, file, locate });
}

/** Validate an already parsed object (for example one built by the provisioning CLI). */
export function validateConfig(
  data: unknown,
  options: LoadConfigOptions & { file?: string; locate?: Locate } = {},
): FacegateConfig {
  const locale = resolveLocale(options.locale);
  const result = configSchema.safeParse(data);
  if (!result.success) {
    const issues: ConfigIssue[] = toConfigIssues(result.error.issues, {
      root: configSchema,
      data,
      locale,
      locate: options.locate ?? (() => undefined),
    });
    throw new ConfigError(options.file ?? '<config>', issues, locale);
  }
  return deepFreeze(resolveDerivedPaths(result.data));
}

/** Fill the file paths whose default lies under stateDir. */
export function resolveDerivedPaths(config: ParsedConfig): ResolvedConfig {
  const under = (...parts: string[]): string => path.join(config.stateDir, ...parts);
  return {
    ...config,
    mqtt: {
      ...config.mqtt,
      caFile: config.mqtt.caFile ?? under('tls', 'ca.pem'),
      certFile: config.mqtt.certFile ?? under('tls', 'client.crt'),
      keyFile: config.mqtt.keyFile ?? under('tls', 'client.key'),
    },
    keys: {
      ...config.keys,
      deviceKeyFile: config.keys.deviceKeyFile ?? under('keys', 'device-signing-key.pem'),
      fleetPublicKeyFile: config.keys.fleetPublicKeyFile ?? under('keys', 'fleet-public-key.pem'),
    },
  };
}

/**
 * Build the function that maps a key path to its line and column in the YAML source.
 * With `keyOnly` (unknown keys) it points at the key, otherwise at the value. A missing key
 * points at the nearest parent that exists.
 */
function locator(document: Document, lineCounter: LineCounter): Locate {
  return (keyPath, keyOnly = false) => {
    let node: unknown = document.contents;
    let position: number | undefined = rangeStart(node);
    for (const [index, segment] of keyPath.entries()) {
      const isLast = index === keyPath.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (pair === undefined) break;
        position = rangeStart(isLast && keyOnly ? pair.key : (pair.value ?? pair.key)) ?? position;
        node = pair.value;
      } else if (node !== null && typeof node === 'object' && 'items' in node && Array.isArray(node.items)) {
        const item: unknown = node.items[Number(segment)];
        if (item === undefined) break;
        position = rangeStart(item) ?? position;
        node = item;
      } else {
        break;
      }
    }
    if (position === undefined) return undefined;
    const { line, col } = lineCounter.linePos(position);
    return { line, column: col };
  };
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as { range?: [number, number, number] | null }).range;
  return range?.[0];
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}
