import type { z } from 'zod';
import type { AuditAction, AuditDetail } from '../audit/entry.js';
import type { Logger } from '../common/logger.js';
import type { CommandOutput } from '../../protocol/command-result.js';

/**
 * The commands a device runs, by name. A handler declares its audit action (which the audit
 * schema must allow), a strict schema for its arguments and the code that runs it. Its output
 * schema lives in protocol/command-result.ts.
 */

/** Facts about the command a handler runs. */
export interface CommandContext {
  commandId: string;
  /** Operator whose key signed the command. */
  operator: string;
  /** IP address of the broker the command came through, or null when the broker is named by host name. */
  sourceAddress: string | null;
  logger: Logger;
}

export interface HandlerOutcome {
  outcome: 'done' | 'failed';
  /** Short token for the result and the audit entry: `consent-withdrawn`, `no-consent`. */
  reason: string;
  output?: CommandOutput;
  /** Extra audit detail, such as the subject of a withdrawal. */
  detail?: AuditDetail;
}

export interface CommandHandler<A = unknown> {
  readonly name: string;
  /** `command.<name>`. */
  readonly action: AuditAction;
  /** Strict schema of the arguments; a command whose arguments fail it is rejected before it runs. */
  readonly args: z.ZodType<A>;
  /** Run the command. A thrown error becomes a `failed` result with reason `handler-error`. */
  run(args: A, context: CommandContext): Promise<HandlerOutcome>;
}

export class CommandRegistry {
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(handlers: Iterable<CommandHandler> = []) {
    for (const handler of handlers) this.register(handler);
  }

  register(handler: CommandHandler): void {
    if (this.handlers.has(handler.name)) throw new Error(`A handler for command ${handler.name} is already registered.`);
    if (handler.action !== `command.${handler.name}`) {
      throw new Error(`The handler for ${handler.name} records action ${handler.action}; it must be command.${handler.name}.`);
    }
    this.handlers.set(handler.name, handler);
  }

  get(name: string): CommandHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
