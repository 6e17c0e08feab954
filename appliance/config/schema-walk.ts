import { z } from 'zod';

// Wrappers that change presence or defaults but not the shape of the value inside.
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Schema facts about one key: the value schema without wrappers, plus its default and description. */
export interface KeySchema {
  /** The schema with optional/default wrappers removed. */
  readonly inner: z.ZodType;
  readonly optional: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly description: string | undefined;
  /** Metadata merged over every wrapper layer, such as `{ rule: 'gpioLine' }`. */
  readonly meta: Record<string, unknown>;
}

export function describeKey(schema: z.ZodType): KeySchema {
  let current = schema;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  let description: string | undefined;
  const meta: Record<string, unknown> = {};

  for (;;) {
    description ??= current.description;
    Object.assign(meta, { ...(current.meta() ?? {}), ...meta });
    const def = current.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown };
    if (!WRAPPERS.has(def.type) || def.innerType === undefined) break;
    if (def.type === 'optional') optional = true;
    if ((def.type === 'default' || def.type === 'prefault') && !hasDefault) {
      hasDefault = true;
      defaultValue = def.defaultValue;
    }
    current = def.innerType;
  }
  return { inner: current, optional, hasDefault, defaultValue, description, meta };
}

export function isObjectSchema(schema: z.ZodType): schema is z.ZodObject {
  return (schema.def as { type: string }).type === 'object';
}

/** For a discriminated union, the name of the discriminator key; undefined for other schemas. */
export function discriminatorOf(schema: z.ZodType): string | undefined {
  const def = schema.def as { type: string; discriminator?: string };
  return def.type === 'union' ? def.discriminator : undefined;
}

export function unionOptions(schema: z.ZodType): z.ZodType[] {
  const def = schema.def as { type: string; options?: z.ZodType[] };
  return def.type === 'union' ? (def.options ?? []) : [];
}

/** Return the literal value of a union option's discriminator key. */
export function discriminatorValue(option: z.ZodType, discriminator: string): string | undefined {
  if (!isObjectSchema(option)) return undefined;
  const field = option.shape[discriminator];
  if (field === undefined) return undefined;
  const values = (describeKey(field).inner.def as { values?: unknown[] }).values;
  return typeof values?.[0] === 'string' ? values[0] : undefined;
}

/**
 * Find the object schema that applies to `value`: the schema itself, or for a discriminated union the
 * option whose discriminator matches (undefined when none does), or for a union the object option.
 */
export function objectSchemaFor(schema: z.ZodType, value: unknown): z.ZodObject | undefined {
  const inner = describeKey(schema).inner;
  if (isObjectSchema(inner)) return inner;
  const discriminator = discriminatorOf(inner);
  const options = unionOptions(inner);
  if (discriminator !== undefined) {
    const selected = isRecord(value) ? value[discriminator] : undefined;
    const match = options.find((option) => discriminatorValue(option, discriminator) === selected);
    return match !== undefined && isObjectSchema(match) ? match : undefined;
  }
  const objectOption = options.map((option) => describeKey(option).inner).find(isObjectSchema);
  return objectOption;
}

/**
 * Find the schema of the key at `path`, following the input `data` to pick union options.
 * Returns undefined when the path leaves the schema (an unknown key, or a union that matched nothing).
 */
export function schemaAtPath(root: z.ZodType, path: readonly PropertyKey[], data: unknown): z.ZodType | undefined {
  let schema: z.ZodType = root;
  let value = data;
  for (const segment of path) {
    const inner = describeKey(schema).inner;
    const def = inner.def as { type: string; element?: z.ZodType };
    if (def.type === 'array' && typeof segment === 'number' && def.element !== undefined) {
      schema = def.element;
      value = Array.isArray(value) ? value[segment] : undefined;
      continue;
    }
    const objectSchema = objectSchemaFor(inner, value);
    const next = objectSchema?.shape[String(segment)];
    if (next === undefined) return undefined;
    schema = next;
    value = isRecord(value) ? value[String(segment)] : undefined;
  }
  return schema;
}

/** Keys allowed in the object at `path`, in schema order. */
export function allowedKeysAt(root: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  const schema = schemaAtPath(root, path, data);
  if (schema === undefined) return [];
  const objectSchema = objectSchemaFor(schema, valueAtPath(data, path));
  return objectSchema === undefined ? [] : Object.keys(objectSchema.shape);
}

/** List every key path in the schema, through every union option, as dotted strings (`door.relay.pulseMs`). */
export function allKeyPaths(root: z.ZodType, prefix = ''): string[] {
  const inner = describeKey(root).inner;
  const objects = isObjectSchema(inner)
    ? [inner]
    : unionOptions(inner)
        .map((option) => describeKey(option).inner)
        .filter(isObjectSchema);
  const paths = new Set<string>();
  for (const objectSchema of objects) {
    for (const [key, child] of Object.entries(objectSchema.shape)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      paths.add(path);
      for (const nested of allKeyPaths(child as z.ZodType, path)) paths.add(nested);
    }
  }
  return [...paths];
}

export function valueAtPath(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isRecord(value)) value = value[String(segment)];
    else return undefined;
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
