import { parseCommandArgs, parseIntegerOption } from '../../appliance/cli/args.js';
import { EXIT, UsageError } from '../../appliance/cli/context.js';
import type { GpioBackend } from '../../appliance/gpio/types.js';
import type { ClockSyncReaderOptions } from '../../appliance/telemetry/clock-sync.js';
import { detailText, fixText, formatSelftestReport } from '../selftest/report.js';
import { runSelftest } from '../selftest/run.js';
import { SECTIONS, type Note, type Operator, type Section } from '../selftest/types.js';
import { TARGET_OPTIONS, locateDevice } from './device.js';
import type { ProvisionIo } from './io.js';
import { commonMessages } from './messages/common.js';
import { selftestMessages } from './messages/selftest.js';
import type { Prompter } from './prompt.js';

/** Stand-ins a test gives the self-test: the GPIO backend (a SimulatedGpio it drives) and the clock-sync probe. */
export interface SelftestDependencies {
  gpio?: () => GpioBackend;
  clock?: ClockSyncReaderOptions;
}

/** `provision selftest`: every part of the gate, then a pass/fail table with what to check. */
export async function runSelftestCommand(io: ProvisionIo, argv: string[], dependencies: SelftestDependencies = {}): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, {
    config: TARGET_OPTIONS.config,
    'non-interactive': { type: 'boolean', default: false },
    skip: { type: 'string', multiple: true },
    frames: { type: 'string' },
    'input-timeout': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const skip = new Set<Section>();
  for (const item of (values.skip ?? []).flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    if (!(SECTIONS as readonly string[]).includes(item)) throw new UsageError('provision', `invalid --skip section "${item}"; use ${SECTIONS.join(', ')}`);
    skip.add(item as Section);
  }
  const frames = parseIntegerOption('provision', 'frames', values.frames, 1, 600) ?? 30;
  const inputTimeoutS = parseIntegerOption('provision', 'input-timeout', values['input-timeout'], 1, 600) ?? 20;
  if (!values['non-interactive'] && io.prompter === undefined) {
    throw new UsageError('provision', 'selftest asks the technician to press the exit button and open the door; run it on a terminal, or pass --non-interactive');
  }

  const target = locateDevice(io, values, true);
  const config = target.config!;
  const t = selftestMessages.translator(io.locale);
  if (!values.json) io.stdout.write(`${t('intro', { device: config.device.id, config: target.configFile })}\n`);
  const operator = values['non-interactive'] ? absentOperator() : terminalOperator(io, io.prompter!);

  const results = await runSelftest({
    config,
    logger: io.logger,
    operator,
    skip,
    frames,
    inputTimeoutMs: inputTimeoutS * 1000,
    ...(dependencies.gpio === undefined ? {} : { gpio: dependencies.gpio() }),
    ...(dependencies.clock === undefined ? {} : { clock: dependencies.clock }),
    now: io.now,
  });
  const failed = results.some((result) => result.status === 'fail');
  io.logger.info({ failed: results.filter((result) => result.status === 'fail').map((result) => result.id) }, 'self-test finished');

  if (values.json) {
    const rows = results.map((result) => ({
      check: result.id,
      status: result.status,
      detail: detailText(result, io.locale),
      ...(result.status === 'fail' || result.status === 'warn' ? { fix: fixText(result, io.locale) } : {}),
    }));
    io.stdout.write(`${JSON.stringify(rows)}\n`);
  } else {
    io.stdout.write(formatSelftestReport(results, io.locale));
  }
  return failed ? EXIT.failed : EXIT.ok;
}

function absentOperator(): Operator {
  return { interactive: false, confirm: async () => true, instruct: () => undefined, ready: async () => undefined };
}

function terminalOperator(io: ProvisionIo, prompter: Prompter): Operator {
  const t = selftestMessages.translator(io.locale);
  const common = commonMessages.translator(io.locale);
  const yes = new RegExp(common('yes.pattern'), 'i');
  const text = (note: Note): string => t(note.key, note.params);
  return {
    interactive: true,
    confirm: async (note) => yes.test(await prompter.ask(common('question.yesNo', { question: text(note) }))),
    instruct: (note) => void io.stdout.write(`${text(note)}\n`),
    ready: async (note) => void (await prompter.ask(text(note))),
  };
}
