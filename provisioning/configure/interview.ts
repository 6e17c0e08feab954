import { ConfigError, formatIssue, validateConfig } from '../../appliance/config/index.js';
import { commonMessages } from '../cli/messages/common.js';
import { configureMessages, type ConfigureMessageKey } from '../cli/messages/configure.js';
import type { ProvisionIo } from '../cli/io.js';
import type { Prompter } from '../cli/prompt.js';
import { applySetting, draftData, getValue, type ConfigDraft } from './draft.js';
import { SETTINGS, formatSettingValue, parseSettingValue, type Setting } from './settings.js';

interface Question {
  option: string;
  /** Ask only when this holds for the draft so far. */
  when?: (draft: ConfigDraft) => boolean;
}

const cameraIs =
  (...types: string[]) =>
  (draft: ConfigDraft): boolean =>
    types.includes(String(getValue(draft, ['camera', 'type'])));

// The order a technician meets the device: identity, camera, door wiring, broker, then tuning.
const QUESTIONS: readonly Question[] = [
  { option: 'device' },
  { option: 'site' },
  { option: 'direction' },
  { option: 'locale' },
  { option: 'camera' },
  { option: 'camera-device', when: cameraIs('v4l2') },
  { option: 'camera-url', when: cameraIs('rtsp', 'http') },
  { option: 'camera-path', when: cameraIs('file', 'folder') },
  { option: 'camera-index', when: cameraIs('rpicam') },
  { option: 'gpio' },
  { option: 'relay' },
  { option: 'relay-polarity' },
  { option: 'pulse-ms' },
  { option: 'led-green' },
  { option: 'led-red' },
  { option: 'led-amber' },
  { option: 'buzzer' },
  { option: 'exit-button' },
  { option: 'door-contact' },
  { option: 'allowed-broker' },
  { option: 'broker' },
  { option: 'votes' },
  { option: 'liveness-threshold' },
  { option: 'controller' },
  { option: 'contact' },
];

/** Schema defaults shown in brackets for keys the draft does not set yet. */
const DEFAULTS: Record<string, string> = {
  locale: 'zh-Hant',
  'camera-device': '/dev/video0',
  'camera-index': '0',
  gpio: 'chardev',
  'relay-polarity': 'active-high',
  'pulse-ms': '3000',
  votes: '3',
  'liveness-threshold': '0.8',
};

/**
 * Ask for each setting in turn. An answer is applied to the draft and the whole configuration is
 * validated at once, so a value the daemon would reject is explained (with its fix) and asked again.
 */
export async function interview(io: ProvisionIo, prompter: Prompter, draft: ConfigDraft): Promise<void> {
  const t = configureMessages.translator(io.locale);
  const common = commonMessages.translator(io.locale);
  io.stdout.write(`${t('configure.intro')}\n`);

  for (const question of QUESTIONS) {
    if (question.when !== undefined && !question.when(draft)) continue;
    const setting = SETTINGS.find((candidate) => candidate.option === question.option)!;
    if (setting.option === 'broker') printAllowedBrokers(io, draft);

    for (;;) {
      const current = formatSettingValue(setting, getValue(draft, setting.path)) || DEFAULTS[setting.option] || '';
      const label = t(`q.${setting.option}` as ConfigureMessageKey);
      const answer = await prompter.ask(current === '' ? `${label}:` : common('question.default', { question: label, default: current }));
      const text = answer === '' ? current : answer;
      const problem = tryAnswer(io, draft, setting, text);
      if (problem === undefined) break;
      io.stdout.write(`${common('answer.invalid', { answer: text, reason: problem })}\n`);
    }
  }
}

/** Apply one answer; returns why it was rejected, or undefined when the draft accepted it. */
function tryAnswer(io: ProvisionIo, draft: ConfigDraft, setting: Setting, text: string): string | undefined {
  const t = configureMessages.translator(io.locale);
  if (text === '') return t('configure.required');
  const resolved = setting.option === 'broker' ? resolveBrokerChoice(io, draft, text) : { text };
  if ('error' in resolved) return resolved.error;

  const parsed = parseSettingValue(setting, resolved.text);
  if ('error' in parsed) return parsed.error;
  const before = draft.document.clone();
  applySetting(draft, setting, parsed.value);
  const problems = issuesAt(io, draft, setting);
  if (problems.length === 0) return undefined;
  draft.document = before;
  return problems.join('; ');
}

/** List the validation problems of this setting's keys in the draft, formatted in the technician's language. */
function issuesAt(io: ProvisionIo, draft: ConfigDraft, setting: Setting): string[] {
  try {
    validateConfig(draftData(draft), { locale: io.locale, file: draft.file });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const prefix = (setting.removable ?? setting.path).join('.');
    const own = error.issues.filter((issue) => issue.path === prefix || issue.path.startsWith(`${prefix}.`) || (setting.option === 'broker' && issue.path === 'mqtt.url'));
    // Answers that leave required keys of later questions missing are fine; those are asked next.
    return own.filter((issue) => issue.code !== 'key.missing').map((issue) => formatIssue(issue, io.locale));
  }
}

function allowedBrokers(draft: ConfigDraft): string[] {
  const value = getValue(draft, ['residency', 'allowedBrokers']);
  return Array.isArray(value) ? value.map(String) : [];
}

function printAllowedBrokers(io: ProvisionIo, draft: ConfigDraft): void {
  const t = configureMessages.translator(io.locale);
  io.stdout.write(`${t('configure.brokers')}\n`);
  allowedBrokers(draft).forEach((pattern, index) => io.stdout.write(`${t('configure.brokerChoice', { number: index + 1, pattern })}\n`));
}

/** Resolve a number to an entry of the allowlist: a host becomes `mqtts://host:8883`, and a wildcard needs a whole address. */
function resolveBrokerChoice(io: ProvisionIo, draft: ConfigDraft, text: string): { text: string } | { error: string } {
  if (!/^\d+$/.test(text)) return { text };
  const t = configureMessages.translator(io.locale);
  const pattern = allowedBrokers(draft)[Number(text) - 1];
  if (pattern === undefined) return { error: t('configure.brokerNumber', { number: text }) };
  if (pattern.startsWith('*.')) return { error: t('configure.brokerWildcard', { pattern, domain: pattern.slice(2) }) };
  const host = pattern.includes(':') ? `[${pattern}]` : pattern;
  return { text: `mqtts://${host}:8883` };
}
