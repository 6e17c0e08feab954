import { describe, expect, it } from 'vitest';

import { brokerHost, isBrokerAllowed, isValidBrokerPattern } from './residency.js';

describe('residency', () => {
  it('extracts the broker host', () => {
    expect(brokerHost('mqtts://Broker.Macau.Example:8883')).toBe('broker.macau.example');
    expect(brokerHost('mqtts://[::1]:8883')).toBe('::1');
    expect(brokerHost('not a url')).toBeUndefined();
  });

  it('matches exact hosts ignoring case', () => {
    expect(isBrokerAllowed('broker.macau.example', ['BROKER.macau.example'])).toBe(true);
    expect(isBrokerAllowed('broker2.macau.example', ['broker.macau.example'])).toBe(false);
    expect(isBrokerAllowed('127.0.0.1', ['127.0.0.1'])).toBe(true);
  });

  it('matches wildcards below the domain only', () => {
    const patterns = ['*.macau.example'];
    expect(isBrokerAllowed('a.macau.example', patterns)).toBe(true);
    expect(isBrokerAllowed('a.b.macau.example', patterns)).toBe(true);
    expect(isBrokerAllowed('macau.example', patterns)).toBe(false);
    expect(isBrokerAllowed('evilmacau.example', patterns)).toBe(false);
    expect(isBrokerAllowed('macau.example.evil.com', patterns)).toBe(false);
  });

  it('validates patterns', () => {
    for (const valid of ['broker.macau.example', '*.macau.example', 'localhost', '10.0.0.5', '::1']) {
      expect(isValidBrokerPattern(valid), valid).toBe(true);
    }
    for (const invalid of ['mqtts://broker.macau.example', 'broker.macau.example:8883', '*.mo', '*', 'bad host', 'a/b', '']) {
      expect(isValidBrokerPattern(invalid), invalid).toBe(false);
    }
  });
});
