import { describe, expect, it } from 'vitest';
import { matchesFilter } from './topic-filter.js';

describe('matchesFilter', () => {
  it.each([
    ['facegate/v1/mo/gate-01/cmd/#', 'facegate/v1/mo/gate-01/cmd/reboot', true],
    ['facegate/v1/mo/gate-01/cmd/#', 'facegate/v1/mo/gate-01/cmd', true],
    ['facegate/v1/+/+/events', 'facegate/v1/mo/gate-01/events', true],
    ['facegate/v1/+/+/events', 'facegate/v1/mo/gate-01/audit', false],
    ['facegate/v1/+/events', 'facegate/v1/mo/gate-01/events', false],
    ['facegate/v1/mo/gate-01/status', 'facegate/v1/mo/gate-01/status', true],
    ['facegate/v1/mo/gate-01/status', 'facegate/v1/mo/gate-01/status/x', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
  ])('%s against %s is %s', (filter, topic, expected) => {
    expect(matchesFilter(filter, topic)).toBe(expected);
  });
});
