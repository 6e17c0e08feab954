import { parseTopic } from '../../protocol/topics.js';

/** Checks of what goes into and comes out of the outbox table, each returning why a value is unusable. */

/** Largest payload the outbox stores; Mosquitto's default message size limit is far larger, our envelopes far smaller. */
export const MAX_PAYLOAD_CHARS = 256 * 1024;

const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ROW_ID = /^[\x21-\x7e]{1,128}$/;

/** Column values as SQLite returns them; only `position` (the rowid) is sure to have its declared type. */
export interface StoredRowValues {
  position: number;
  id: unknown;
  stream: unknown;
  seq: unknown;
  topic: unknown;
  payload: unknown;
  created_at: unknown;
  attempts: unknown;
}

export function checkEntry(entry: { id: unknown; topic: unknown; payload: unknown } | undefined): string | undefined {
  if (entry === undefined || entry === null || typeof entry !== 'object') return 'seal() returned no entry';
  if (typeof entry.id !== 'string' || !ROW_ID.test(entry.id)) return 'the id must be 1 to 128 printable ASCII characters';
  return checkTopicAndPayload(entry.topic, entry.payload);
}

export function checkStoredRow(values: StoredRowValues): string | undefined {
  if (typeof values.id !== 'string' || !ROW_ID.test(values.id)) return 'id is not a printable string';
  if (typeof values.stream !== 'string' || values.stream === '') return 'stream is not a string';
  if (!Number.isSafeInteger(values.seq) || (values.seq as number) < 1) return 'seq is not a positive integer';
  if (!Number.isSafeInteger(values.created_at)) return 'created_at is not an integer';
  if (!Number.isSafeInteger(values.attempts)) return 'attempts is not an integer';
  return checkTopicAndPayload(values.topic, values.payload);
}

function checkTopicAndPayload(topic: unknown, payload: unknown): string | undefined {
  if (typeof topic !== 'string') return 'topic is not a string';
  const parts = parseTopic(topic);
  if (parts === undefined) return `topic ${JSON.stringify(topic.slice(0, 200))} is not a facegate v1 topic`;
  if (typeof payload !== 'string') return `payload is ${Buffer.isBuffer(payload) ? 'binary' : typeof payload}, not text`;
  if (payload.length === 0 || payload.length > MAX_PAYLOAD_CHARS) return `payload length ${payload.length} is outside 1 to ${MAX_PAYLOAD_CHARS}`;
  if ((parts.channel === 'events' || parts.channel === 'audit') && !COMPACT_JWE.test(payload)) {
    return `payload for the ${parts.channel} channel is not a compact JWE`;
  }
  return undefined;
}
