import { z } from 'zod';
import type { CommandHandler } from '../registry.js';

export interface PingDependencies {
  firmware: string;
  /** Model name to wire version, as the status message carries them. */
  models: Record<string, string>;
  /** Seconds since the daemon started. */
  uptimeS: () => number;
}

/** `ping`: report the firmware and model versions, so an operator can check that a device runs commands. */
export function pingHandler(dependencies: PingDependencies): CommandHandler<Record<string, never>> {
  return {
    name: 'ping',
    action: 'command.ping',
    args: z.strictObject({}),
    async run() {
      const output = { firmware: dependencies.firmware, models: { ...dependencies.models }, uptimeS: Math.max(0, Math.round(dependencies.uptimeS())) };
      return { outcome: 'done', reason: 'pong', output, detail: { firmware: output.firmware, uptimeS: output.uptimeS } };
    },
  };
}
