import fs from 'node:fs';
import type { Readable } from 'node:stream';

import { UsageError, type CliContext, type Command } from '../../appliance/cli/context.js';
import { DEFAULT_CONFIG_FILE } from '../paths.js';
import { runCa, runInstallCert, runSign } from './cert-commands.js';
import { runConfigure } from './configure-command.js';
import { PROVISION_HELP, PROVISION_SUMMARY } from './help.js';
import { runInit, runRotateKeys } from './identity-commands.js';
import type { ProvisionIo } from './io.js';
import { runFactoryResetCommand, runStatus } from './lifecycle-commands.js';
import { configuredLocale, languageChosen, technicianLocale } from './locale.js';
import { streamPrompter, type Prompter } from './prompt.js';
import { reportProvisionError } from './report.js';
import { runRoster } from './roster-command.js';
import { runSelftestCommand, type SelftestDependencies } from './selftest-command.js';

type Subcommand = (io: ProvisionIo, argv: string[]) => Promise<number>;

export interface ProvisionDependencies {
  /** The process arguments, to tell whether `--lang` was given; `process.argv` by default. */
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Answers to questions; by default standard input when it is a terminal. */
  prompter?: Prompter;
  stdin?: Readable & { isTTY?: boolean };
  now?: () => Date;
  selftest?: SelftestDependencies;
}

/** Build the `provision` command; tests pass their own prompt, clock and simulated hardware. */
export function createProvisionCommand(dependencies: ProvisionDependencies = {}): Command {
  const subcommands: Record<string, Subcommand> = {
    init: runInit,
    ca: runCa,
    sign: runSign,
    'install-cert': runInstallCert,
    configure: runConfigure,
    selftest: (io, argv) => runSelftestCommand(io, argv, dependencies.selftest),
    roster: runRoster,
    status: runStatus,
    'rotate-keys': runRotateKeys,
    'factory-reset': runFactoryResetCommand,
  };

  async function run(context: CliContext, argv: string[]): Promise<number> {
    const io: ProvisionIo = {
      locale: chooseLocale(context, argv, dependencies),
      logger: context.logger,
      stdout: context.stdout,
      stderr: context.stderr,
      prompter: dependencies.prompter ?? terminalPrompter(dependencies.stdin ?? process.stdin, context),
      now: dependencies.now ?? (() => new Date()),
    };
    try {
      const [name, ...rest] = argv;
      const subcommand = name === undefined ? undefined : subcommands[name];
      if (subcommand === undefined) {
        throw new UsageError('provision', `${name === undefined ? 'missing subcommand' : `unknown subcommand "${name}"`}; expected one of ${Object.keys(subcommands).join(', ')}`);
      }
      return await subcommand(io, rest);
    } catch (error) {
      return reportProvisionError(io, error);
    } finally {
      io.prompter?.close();
    }
  }

  return { name: 'provision', summary: PROVISION_SUMMARY, help: PROVISION_HELP, run };
}

/** `--lang` or FACEGATE_LANG first, then `device.locale` of the configuration, then the POSIX locale. */
function chooseLocale(context: CliContext, argv: readonly string[], dependencies: ProvisionDependencies): ProvisionIo['locale'] {
  const chosen = languageChosen(context.locale, dependencies.argv ?? process.argv, dependencies.env ?? process.env);
  if (chosen) return context.locale;
  const index = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  const file = index < 0 ? DEFAULT_CONFIG_FILE : argv[index]!.includes('=') ? argv[index]!.slice('--config='.length) : argv[index + 1];
  const fromConfig = file !== undefined && fs.existsSync(file) ? configuredLocale(file) : undefined;
  return technicianLocale(context.locale, chosen, fromConfig);
}

function terminalPrompter(stdin: Readable & { isTTY?: boolean }, context: CliContext): Prompter | undefined {
  return stdin.isTTY === true ? streamPrompter(stdin, context.stdout) : undefined;
}

export const provisionCommand = createProvisionCommand();
