import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleetConfig } from './config.js';

const minimal = {
  broker: { url: 'mqtts://broker.example.mo:8883', caFile: 'ca.crt', certFile: 'fleet.crt', keyFile: 'fleet.key' },
  fleetKeys: ['fleet-enc.pem'],
};

describe('fleet config', () => {
  it('fills defaults and resolves paths', () => {
    const config = parseFleetConfig(minimal, '/etc/facegate-fleet/fleet.yaml');
    expect(config.broker.caFile).toBe('/etc/facegate-fleet/ca.crt');
    expect(config.broker.shareGroup).toBe('facegate-fleet');
    expect(config.store).toEqual({ sqlite: path.join('/etc/facegate-fleet', 'fleet.db') });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, locale: 'zh-Hant' });
    expect(config.broker.clientId).toMatch(/^fleet-/);
  });

  it('lists every problem with its key path', () => {
    let message = '';
    try {
      parseFleetConfig({ ...minimal, broker: { ...minimal.broker, url: 'mqtt://user:pw@broker' }, fleetKeys: [], extra: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('broker.url: must be mqtts://host[:port]');
    expect(message).toContain('fleetKeys: must list at least one fleet private key file');
    expect(message).toMatch(/extra/);
  });

  it('rejects a device listed twice', () => {
    const device = { id: 'gate-01', site: 'mo-01', publicKey: 'gate-01.pem' };
    expect(() => parseFleetConfig({ ...minimal, devices: [device, device] })).toThrow(/device gate-01 is listed twice/);
  });
});
