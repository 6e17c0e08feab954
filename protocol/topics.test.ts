import { describe, expect, it } from 'vitest';
import { FacegateError } from '../appliance/common/errors.js';
import {
  assertValidId,
  channelTopic,
  commandTopic,
  deviceTopics,
  fleetFilter,
  idProblem,
  parseTopic,
  parseTopicOrThrow,
} from './topics.js';

describe('topic ids', () => {
  it.each(['gate-01', 'A', 'site_3.b', 'x'.repeat(64)])('accepts %s', (id) => {
    expect(idProblem(id)).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['x'.repeat(65), 'maximum is 64'],
    ['gate+1', 'wildcard "+"'],
    ['gate#', 'wildcard "#"'],
    ['site/gate', 'separator "/"'],
    ['gate\u0000', 'control character U+0000'],
    ['gate\n', 'control character U+000a'],
    ['gate 1', '" "'],
    ['閘門', '"閘"'],
    ['..', '"." or ".."'],
  ])('rejects %j', (id, reason) => {
    expect(idProblem(id)).toContain(reason);
  });

  it('throws a FacegateError naming the value', () => {
    expect(() => assertValidId('a/b', 'device id')).toThrow(FacegateError);
    expect(() => assertValidId('a/b', 'device id')).toThrow('Invalid device id "a/b"');
  });
});

describe('topic building', () => {
  it('builds every channel of a device', () => {
    const topics = deviceTopics('mo-01', 'gate-01');
    expect(topics.status).toBe('facegate/v1/mo-01/gate-01/status');
    expect(topics.telemetry).toBe('facegate/v1/mo-01/gate-01/telemetry');
    expect(topics.events).toBe('facegate/v1/mo-01/gate-01/events');
    expect(topics.audit).toBe('facegate/v1/mo-01/gate-01/audit');
    expect(topics.cmdResult).toBe('facegate/v1/mo-01/gate-01/cmd-result');
    expect(topics.command('reboot')).toBe('facegate/v1/mo-01/gate-01/cmd/reboot');
    expect(topics.commandFilter).toBe('facegate/v1/mo-01/gate-01/cmd/#');
  });

  it('rejects wildcards in any part', () => {
    expect(() => deviceTopics('+', 'gate-01')).toThrow('wildcard');
    expect(() => channelTopic('mo-01', '#', 'events')).toThrow('wildcard');
    expect(() => commandTopic('mo-01', 'gate-01', 'a/b')).toThrow('separator');
    expect(() => channelTopic('mo-01', 'gate-01', 'cmd' as never)).toThrow('Unknown channel');
  });

  it('builds fleet subscription filters', () => {
    expect(fleetFilter('events')).toBe('facegate/v1/+/+/events');
    expect(fleetFilter('status', 'mo-01')).toBe('facegate/v1/mo-01/+/status');
    expect(fleetFilter('#')).toBe('facegate/v1/+/#');
    expect(() => fleetFilter('events', 'a+b')).toThrow(FacegateError);
  });
});

describe('parseTopic', () => {
  it('round-trips every built topic', () => {
    const topics = deviceTopics('mo-01', 'gate-01');
    expect(parseTopic(topics.events)).toEqual({ siteId: 'mo-01', deviceId: 'gate-01', channel: 'events' });
    expect(parseTopic(topics.cmdResult)).toEqual({ siteId: 'mo-01', deviceId: 'gate-01', channel: 'cmd-result' });
    expect(parseTopic(topics.command('open-door'))).toEqual({
      siteId: 'mo-01',
      deviceId: 'gate-01',
      channel: 'cmd',
      command: 'open-door',
    });
  });

  it.each([
    'facegate/v2/mo-01/gate-01/events',
    'facegate/v1/mo-01/gate-01',
    'facegate/v1/mo-01/gate-01/photos',
    'facegate/v1/mo-01/gate-01/events/extra',
    'facegate/v1/mo-01/gate-01/cmd',
    'facegate/v1/mo-01/gate-01/cmd/a/b',
    'facegate/v1/+/gate-01/events',
    'facegate/v1//gate-01/events',
    '/facegate/v1/mo-01/gate-01/events',
  ])('returns undefined for %s', (topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });

  it('throws with the topic in the message', () => {
    expect(() => parseTopicOrThrow('x/y')).toThrow('Topic "x/y" is not a facegate v1 topic');
  });
});
