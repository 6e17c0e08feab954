import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import type { RecordRequest } from '../daemon/event-recorder.js';
import { DoorController } from '../door/door-controller.js';
import { SimulatedGpio } from '../gpio/simulated.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { FallbackAuthenticator } from './authenticator.js';
import { CredentialStore } from './credentials.js';
import { FallbackGate } from './gate.js';
import { encodeTyping } from './hid.js';
import { encodeWiegand26 } from './wiegand.js';

let dir: string;
let credentials: CredentialStore;
let gpio: SimulatedGpio;
let door: DoorController;
let gate: FallbackGate | undefined;
let recorded: RecordRequest[];

async function startGate(options: { keypadDevice?: string; badgeDevice?: string; wiegand?: boolean }): Promise<FallbackGate> {
  gate = new FallbackGate({
    authenticator: new FallbackAuthenticator(credentials),
    door,
    gpio,
    record: async (request) => {
      recorded.push(request);
    },
    pseudonymFor: (subjectId) => `pseudo-${subjectId}`,
    logger: silentLogger(),
    ...(options.keypadDevice === undefined ? {} : { keypadDevice: options.keypadDevice }),
    ...(options.badgeDevice === undefined ? {} : { badgeDevice: options.badgeDevice }),
    ...(options.wiegand === true ? { wiegand: { d0: { name: 'GPIO23' }, d1: { name: 'GPIO24' } } } : {}),
  });
  await gate.start();
  return gate;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(async () => {
  dir = makeTempDir('fallback-gate');
  credentials = CredentialStore.open({ stateDir: dir, logger: silentLogger() });
  credentials.setPin('1001', '4821');
  credentials.addBadge('1002', '12:3456');
  gpio = new SimulatedGpio({ logger: silentLogger() });
  await gpio.start();
  door = new DoorController({ gpio, logger: silentLogger(), relay: { line: { name: 'GPIO17' }, pulseMs: 3000, maxPulseMs: 5000, cooldownMs: 0 } });
  await door.start();
  recorded = [];
});

afterEach(async () => {
  await gate?.stop();
  gate = undefined;
  await door.stop();
  await gpio.stop();
  credentials.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('FallbackGate', () => {
  it('opens the door for a keypad PIN', async () => {
    const keypad = path.join(dir, 'keypad-events');
    fs.writeFileSync(keypad, Buffer.concat([encodeTyping('1001'), encodeTyping('4821')]));
    await startGate({ keypadDevice: keypad });
    await waitFor(() => recorded.length === 1, 'the PIN event');
    expect(recorded[0]).toEqual({ decision: 'granted', method: 'pin', subject: 'pseudo-1001', scores: {}, doorActuated: true, reason: 'pin-ok' });
    expect(gpio.outputValue('GPIO17')).toBe(true);
  });

  it('records an unknown USB badge', async () => {
    const reader = path.join(dir, 'badge-events');
    fs.writeFileSync(reader, encodeTyping('99999'));
    await startGate({ badgeDevice: reader });
    await waitFor(() => recorded.length === 1, 'the badge event');
    expect(recorded[0]).toEqual({ decision: 'denied', method: 'badge', subject: null, scores: {}, doorActuated: false, reason: 'badge-unknown' });
    expect(gpio.outputValue('GPIO17')).toBe(false);
  });

  it('decodes a Wiegand badge from GPIO pulses', async () => {
    await startGate({ wiegand: true });
    let time = process.hrtime.bigint();
    // Both lines rest high (inactive) between bits, as a reader holds them.
    gpio.setInput('GPIO23', false, time);
    gpio.setInput('GPIO24', false, time);
    for (const bit of encodeWiegand26(12, 3456)) {
      const line = bit === 0 ? 'GPIO23' : 'GPIO24';
      gpio.setInput(line, true, time);
      gpio.setInput(line, false, time + 50_000n);
      time += 2_000_000n;
    }
    await waitFor(() => recorded.length === 1, 'the Wiegand event');
    expect(recorded[0]).toEqual({ decision: 'granted', method: 'badge', subject: 'pseudo-1002', scores: {}, doorActuated: true, reason: 'badge-ok' });
  });
});
