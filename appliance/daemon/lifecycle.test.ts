import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/support/logs.js';
import { Lifecycle } from './lifecycle.js';

describe('Lifecycle', () => {
  it('stops steps in reverse order', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle(captureLogs().logger);
    for (const name of ['a', 'b', 'c']) {
      await lifecycle.step(name, () => order.push(`start ${name}`), () => void order.push(`stop ${name}`));
    }
    await lifecycle.stopAll();
    expect(order).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what started when a step fails', async () => {
    const order: string[] = [];
    const logs = captureLogs();
    const lifecycle = new Lifecycle(logs.logger);
    await lifecycle.step('a', () => 1, () => void order.push('stop a'));
    const failing = lifecycle.step('b', () => {
      throw new Error('no camera');
    });
    await expect(failing).rejects.toThrow('no camera');
    expect(order).toEqual(['stop a']);
    expect(logs.matching(/^start-up failed at: b$/)[0]).toMatchObject({ step: 'b' });
  });

  it('keeps stopping after a failed stop', async () => {
    const order: string[] = [];
    const logs = captureLogs();
    const lifecycle = new Lifecycle(logs.logger);
    await lifecycle.step('a', () => 1, () => void order.push('stop a'));
    await lifecycle.step('b', () => 2, () => {
      throw new Error('stuck');
    });
    await lifecycle.stopAll();
    await lifecycle.stopAll();
    expect(order).toEqual(['stop a']);
    expect(logs.matching(/^stopping failed: b$/)).toHaveLength(1);
  });

  it('reports each step by name', async () => {
    const names: string[] = [];
    const lifecycle = new Lifecycle(captureLogs().logger, (name) => names.push(name));
    await lifecycle.step('keys', () => undefined);
    await lifecycle.step('outbox', () => undefined);
    expect(names).toEqual(['keys', 'outbox']);
  });
});
