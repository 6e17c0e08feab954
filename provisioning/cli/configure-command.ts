import path from 'node:path';

import { parseCommandArgs } from '../../appliance/cli/args.js';
import { EXIT, UsageError } from '../../appliance/cli/context.js';
import { ConfigError, validateConfig, type FacegateConfig } from '../../appliance/config/index.js';
import { applySetting, draftData, getValue, openDraft, writeDraft } from '../configure/draft.js';
import { interview } from '../configure/interview.js';
import { SETTINGS, parseSettingValue, settingForPath, settingOptions } from '../configure/settings.js';
import { hasIdentity, readIdentity } from '../identity/identity.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_STATE_DIR, statePaths } from '../paths.js';
import { describeCamera } from './device.js';
import { printer, type ProvisionIo } from './io.js';
import { commonMessages } from './messages/common.js';
import { configureMessages } from './messages/configure.js';

/**
 * `provision configure`: write the configuration from options, or by asking when run on a terminal
 * with no settings (or with `--interactive`). The result is validated as the daemon validates it
 * before anything is written, and the previous file is kept as a backup.
 */
export async function runConfigure(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, {
    ...settingOptions(),
    config: { type: 'string' },
    interactive: { type: 'boolean', default: false },
    'non-interactive': { type: 'boolean', default: false },
  });
  if (values.interactive && values['non-interactive']) throw new UsageError('provision', 'choose --interactive or --non-interactive, not both');
  const file = path.resolve(values.config ?? DEFAULT_CONFIG_FILE);
  const now = io.now();
  const draft = openDraft(file, now);

  const texts = values as unknown as Record<string, string | string[] | undefined>;
  const givenSettings = SETTINGS.filter((setting) => texts[setting.option] !== undefined);
  for (const setting of givenSettings) {
    const parsed = parseSettingValue(setting, texts[setting.option]!);
    if ('error' in parsed) throw new UsageError('provision', parsed.error);
    applySetting(draft, setting, parsed.value);
  }
  fillIdentity(draft);

  const ask = values.interactive || (!values['non-interactive'] && givenSettings.length === 0 && io.prompter !== undefined);
  if (ask) {
    if (io.prompter === undefined) throw new UsageError('provision', '--interactive needs a terminal on standard input');
    await interview(io, io.prompter, draft);
  }

  const out = printer(io, configureMessages);
  let config: FacegateConfig;
  try {
    config = validateConfig(draftData(draft), { locale: io.locale, file });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const common = commonMessages.translator(io.locale);
    io.stderr.write(`${common('error', { message: error.message })}\n`);
    for (const issue of error.issues) {
      const setting = settingForPath(issue.path);
      if (setting !== undefined) io.stderr.write(`${out.t('configure.option', { path: issue.path, option: setting.option, placeholder: setting.placeholder })}\n`);
    }
    io.stderr.write(`${out.t('configure.rejected', { file })}\n`);
    return EXIT.failed;
  }

  const { backup } = writeDraft(draft, now);
  io.logger.info({ file, backup, deviceId: config.device.id }, 'configuration written');
  out.say('configure.written', { file });
  if (backup !== undefined) out.say('configure.backup', { file: backup });
  printSummary(io, config);
  out.next('configure.next', { file });
  return EXIT.ok;
}

/** Take device and site from the identity made by `provision init` when the configuration lacks them. */
function fillIdentity(draft: ReturnType<typeof openDraft>): void {
  const stateDir = getValue(draft, ['stateDir']);
  const paths = statePaths(typeof stateDir === 'string' ? stateDir : DEFAULT_STATE_DIR);
  if (!hasIdentity(paths)) return;
  const identity = readIdentity(paths);
  if (getValue(draft, ['device', 'id']) === undefined) draft.document.setIn(['device', 'id'], identity.deviceId);
  if (getValue(draft, ['device', 'site']) === undefined) draft.document.setIn(['device', 'site'], identity.siteId);
}

function printSummary(io: ProvisionIo, config: FacegateConfig): void {
  const out = printer(io, configureMessages);
  const camera = config.camera;
  const relay = config.door.relay;
  out.say('configure.summary.device', { device: config.device.id, site: config.device.site, direction: config.device.direction, locale: config.device.locale });
  out.say('configure.summary.camera', { camera: describeCamera(camera), width: camera.width, height: camera.height, fps: camera.fps });
  out.say('configure.summary.door', {
    gpio: config.door.gpio.type,
    relay: typeof relay.line === 'string' ? relay.line : `${relay.line.chip}:${relay.line.offset}`,
    polarity: relay.activeLow ? 'active-low' : 'active-high',
    pulse: relay.pulseMs,
  });
  out.say('configure.summary.broker', { url: config.mqtt.url, allowed: config.residency.allowedBrokers.join(', ') });
}
