import { openEvent as openWithJose, type OpenEventOptions } from '../protocol/envelope.js';
import { openEvent as openWithNode } from '../protocol/envelope-open.js';
import { percentile, round } from './record.js';

/**
 * Opening alone, in one process. The jose opener (envelope.ts) and the node:crypto opener
 * (envelope-open.ts) take turns over the same sealed events, pass after pass. So both see the
 * same machine load, and the ratio between them comes from one run.
 */

export interface OpenerFigures {
  /** CPU time of the whole process (all threads) per opened event, median over the passes. */
  cpuUsPerEvent: number;
  /** Wall time of one open, over every open of every pass. */
  wallUs: { median: number; p95: number };
}

export interface OpenerComparison {
  events: number;
  passes: number;
  jose: OpenerFigures;
  node: OpenerFigures;
  /** jose CPU per event divided by node:crypto CPU per event. */
  cpuRatio: number;
}

const OPENERS = { jose: openWithJose, node: openWithNode } as const;

export async function compareOpeners(sealed: ReadonlyArray<{ topic: string; payload: string }>, options: Omit<OpenEventOptions, 'topic'>, passes: number): Promise<OpenerComparison> {
  const cpu: Record<keyof typeof OPENERS, number[]> = { jose: [], node: [] };
  const wall: Record<keyof typeof OPENERS, number[]> = { jose: [], node: [] };

  for (let pass = 0; pass < passes; pass++) {
    // Alternate which opener goes first, so neither always runs on a warmer or cooler machine.
    const order: Array<keyof typeof OPENERS> = pass % 2 === 0 ? ['jose', 'node'] : ['node', 'jose'];
    for (const name of order) {
      const open = OPENERS[name];
      const before = process.cpuUsage();
      for (const event of sealed) {
        const started = performance.now();
        await open(event.payload, { ...options, topic: event.topic });
        wall[name].push((performance.now() - started) * 1000);
      }
      const used = process.cpuUsage(before);
      cpu[name].push((used.user + used.system) / sealed.length);
    }
  }

  const figures = (name: keyof typeof OPENERS): OpenerFigures => {
    const sortedWall = [...wall[name]].sort((a, b) => a - b);
    const sortedCpu = [...cpu[name]].sort((a, b) => a - b);
    return {
      cpuUsPerEvent: round(percentile(sortedCpu, 0.5), 1),
      wallUs: { median: round(percentile(sortedWall, 0.5), 1), p95: round(percentile(sortedWall, 0.95), 1) },
    };
  };
  const jose = figures('jose');
  const node = figures('node');
  return { events: sealed.length, passes, jose, node, cpuRatio: round(jose.cpuUsPerEvent / node.cpuUsPerEvent, 2) };
}
