import { readFileSync, writeFileSync } from 'node:fs';
import { FacegateError, errorMessage } from '../../common/errors.js';
import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { loadConfig } from '../../config/index.js';
import { CONSENT_PURPOSE, type FormParties } from '../../consent/forms.js';
import { consentMessages, type ConsentMessageKey } from '../../consent/messages.js';
import { openConsent } from '../../consent/open.js';
import { verifyReceipt } from '../../consent/receipt.js';
import { CONFIRM_STEP, FACE_CONSENT_STEP } from '../../consent/service.js';
import { ConsentStore, type ConsentStep } from '../../consent/store.js';
import { CredentialStore } from '../../fallback/credentials.js';
import { validateSubjectId } from '../../gallery/validate.js';
import { isLocale, type Locale } from '../../i18n/locale.js';
import type { MessageParams } from '../../i18n/translate.js';
import { loadPrivateKey, loadPublicKey } from '../../../protocol/keys.js';
import { formatMacauTime } from '../../../protocol/wall-time.js';
import { readIdentity } from '../../../provisioning/identity/identity.js';
import { statePaths } from '../../../provisioning/paths.js';
import { consentTrack } from '../../../provisioning/roster/worker.js';
import { RosterStore } from '../../../provisioning/roster/store.js';
import { TechnicianAccounts } from '../../../provisioning/kiosk/technicians.js';
import { catalogUsageError, parseCommandArgs, parseIntegerOption } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';
import { CONSENT_HELP } from './consent-help.js';

const CLI_USER_AGENT = 'facegate-cli';

const OPTIONS = {
  subject: { type: 'string' },
  witness: { type: 'string' },
  'form-lang': { type: 'string' },
  'accept-face-recognition': { type: 'boolean', default: false },
  controller: { type: 'string' },
  contact: { type: 'string' },
  'retention-days': { type: 'string' },
  'receipt-out': { type: 'string' },
  'public-key': { type: 'string' },
  config: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean', default: false },
  user: { type: 'string' },
  badge: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

const consentUsage = (key: ConsentMessageKey, params?: MessageParams) => catalogUsageError(consentMessages, 'consent', key, params);

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('consent', argv, OPTIONS, true);
  const [action, ...rest] = positionals;
  const say = (key: ConsentMessageKey, params?: MessageParams): void => {
    context.stdout.write(`${consentMessages.translate(context.locale, key, params)}\n`);
  };
  switch (action) {
    case 'grant':
      return grant(context, values, say);
    case 'withdraw':
      return withdraw(context, values, say);
    case 'verify':
      if (rest.length !== 1) throw consentUsage('usage.consent.verify-receipt');
      return verify(rest[0]!, values, say);
    case 'technician':
      return technicianPassword(context, values);
    case 'pin':
      return setPin(context, values);
    case 'badge':
      return addBadge(context, values);
    case 'show':
      if (rest.length !== 1) throw consentUsage('usage.consent.show-subject');
      return show(context, rest[0]!, values, say);
    default:
      throw consentUsage('usage.consent.action');
  }
}

/** Settings shared by grant and withdraw: state folder, identity, key and the form parties. */
function deviceSettings(values: Values) {
  const config = values.config === undefined ? undefined : loadConfig(values.config);
  const stateDir = values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR;
  const paths = statePaths(stateDir, config);
  const identity = readIdentity(paths);
  const retentionDays = parseIntegerOption('consent', 'retention-days', values['retention-days'], 1, 365) ?? config?.consent.retentionDays ?? 30;
  const controller = values.controller ?? config?.consent.controller;
  const contact = values.contact ?? config?.consent.contact;
  return { stateDir, signingKey: paths.signingKey, deviceId: identity.deviceId, siteId: identity.siteId, controller, contact, retentionDays };
}

async function grant(context: CliContext, values: Values, say: (key: ConsentMessageKey, params?: MessageParams) => void): Promise<number> {
  if (values.subject === undefined) throw consentUsage('usage.consent.grant-subject');
  if (values.witness === undefined) throw consentUsage('usage.consent.grant-witness');
  validateSubjectId(values.subject);
  const formLocale = values['form-lang'];
  if (formLocale !== undefined && !isLocale(formLocale)) throw consentUsage('usage.consent.form-lang', { value: formLocale });
  const settings = deviceSettings(values);
  if (settings.controller === undefined || settings.contact === undefined) {
    throw new FacegateError('consent.parties_missing', 'The consent forms need the data controller and its contact, and neither the configuration nor the command line sets both.', {
      hint: 'Set consent.controller and consent.contact in the configuration (pass --config FILE), or pass --controller TEXT --contact TEXT.',
    });
  }
  const parties: FormParties = { controller: settings.controller, contact: settings.contact, retentionDays: settings.retentionDays };

  const roster = RosterStore.open({ stateDir: settings.stateDir, logger: context.logger });
  const worker = (() => {
    try {
      return roster.list().find((entry) => entry.workerId === values.subject);
    } finally {
      roster.close();
    }
  })();
  if (worker === undefined) {
    throw new FacegateError('consent.not_on_roster', `Worker ${values.subject} is not on this device's roster.`, {
      hint: 'Import the roster with `facegate provision roster import FILE` first; the roster gives the worker\'s domicile, which picks the consent forms.',
      params: { subject: values.subject },
    });
  }
  const track = consentTrack(worker.domicile);
  const locale: Locale = (formLocale as Locale | undefined) ?? track.formLocale;

  const opened = openConsent({
    stateDir: settings.stateDir,
    deviceId: settings.deviceId,
    siteId: settings.siteId,
    deviceKey: loadPrivateKey(settings.signingKey),
    parties,
    logger: context.logger,
  });
  try {
    const step = (name: string): ConsentStep => ({ step: name, at: new Date(), ip: null, userAgent: CLI_USER_AGENT, deviceId: settings.deviceId, locale });
    const steps: ConsentStep[] = [];
    // The forms are printed in full so the technician can show or read them to the worker.
    for (const form of opened.service.forms(track.law, locale)) {
      say('form.header', { form: form.id, version: form.version, locale: form.locale, sha256: form.sha256 });
      context.stdout.write(`${form.text}\n\n`);
      steps.push(step(`form-shown:${form.id}`));
    }
    if (values['accept-face-recognition']) steps.push(step(FACE_CONSENT_STEP));
    steps.push(step(CONFIRM_STEP));
    const record = await opened.service.grant(
      { subjectId: values.subject, law: track.law, method: 'cli', witness: values.witness, faceRecognitionAccepted: values['accept-face-recognition'], steps },
      locale,
    );
    say('granted', { consent: record.id, subject: record.subjectId, law: record.law });
    writeReceipt(context, values, say, record.receipt);
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

/** Print the receipt, and write it to --receipt-out when given. */
function writeReceipt(context: CliContext, values: Values, say: (key: ConsentMessageKey, params?: MessageParams) => void, receipt: string): void {
  context.stdout.write(`${receipt}\n`);
  if (values['receipt-out'] === undefined) return;
  writeFileSync(values['receipt-out'], `${receipt}\n`);
  say('receipt.saved', { file: values['receipt-out'] });
}

async function withdraw(context: CliContext, values: Values, say: (key: ConsentMessageKey, params?: MessageParams) => void): Promise<number> {
  if (values.subject === undefined) throw consentUsage('usage.consent.withdraw-subject');
  if (values.witness === undefined) throw consentUsage('usage.consent.withdraw-witness');
  const settings = deviceSettings(values);
  const opened = openConsent({
    stateDir: settings.stateDir,
    deviceId: settings.deviceId,
    siteId: settings.siteId,
    deviceKey: loadPrivateKey(settings.signingKey),
    parties: { controller: settings.controller ?? '', contact: settings.contact ?? '', retentionDays: settings.retentionDays },
    logger: context.logger,
  });
  try {
    const result = await opened.service.withdraw({
      subjectId: values.subject,
      method: 'cli',
      actor: { kind: 'technician', id: values.witness },
      sourceAddress: null,
    });
    say('withdrawn', { consent: result.record.id, subject: values.subject, templates: result.templatesDestroyed });
    writeReceipt(context, values, say, result.receipt);
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

async function verify(receiptArg: string, values: Values, say: (key: ConsentMessageKey, params?: MessageParams) => void): Promise<number> {
  if (values['public-key'] === undefined) throw consentUsage('usage.consent.verify-public-key');
  const publicKey = loadPublicKey(values['public-key']);
  const { payload, kid } = await verifyReceipt(readReceipt(receiptArg), publicKey);
  say('verify.ok', { kind: payload.kind, kid });
  for (const [name, value] of Object.entries(payload)) {
    if (name === 'kind') continue;
    say('verify.field', { name, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  return EXIT.ok;
}

/** Read a receipt file, or standard input for `-`. Raises `consent.receipt_unreadable` naming the file. */
function readReceipt(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const name = file === '-' ? 'standard input' : file;
    const reason = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw new FacegateError('consent.receipt_unreadable', `cannot read the receipt file ${name} (${reason})`, {
      hint: 'Check the file name. Pass the file written by "facegate consent grant --receipt-out FILE", or - to read the receipt from standard input.',
      params: { file: name, reason },
      cause: error,
    });
  }
}

/** Read the first line of standard input: a password or PIN is never given on the command line, where `ps` shows it. */
function readSecretLine(): string {
  return readFileSync(0, 'utf8').split('\n')[0]!.replace(/\r$/, '');
}

async function technicianPassword(context: CliContext, values: Values): Promise<number> {
  if (values.user === undefined) throw consentUsage('usage.consent.technician-user');
  const config = values.config === undefined ? undefined : loadConfig(values.config);
  const accounts = TechnicianAccounts.forStateDir(values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR);
  try {
    accounts.setPassword(values.user, readSecretLine());
  } catch (error) {
    // NOTE: the technician name and password rules come from TechnicianAccounts as English RangeError text.
    if (error instanceof RangeError) throw new UsageError('consent', error.message);
    throw error;
  }
  context.logger.info({ user: values.user }, 'kiosk technician password set');
  return EXIT.ok;
}

async function setPin(context: CliContext, values: Values): Promise<number> {
  if (values.subject === undefined) throw consentUsage('usage.consent.pin-subject');
  const config = values.config === undefined ? undefined : loadConfig(values.config);
  const credentials = CredentialStore.open({ stateDir: values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR, logger: context.logger });
  try {
    credentials.setPin(values.subject, readSecretLine());
  } finally {
    credentials.close();
  }
  return EXIT.ok;
}

async function addBadge(context: CliContext, values: Values): Promise<number> {
  if (values.subject === undefined || values.badge === undefined) throw consentUsage('usage.consent.badge-options');
  const config = values.config === undefined ? undefined : loadConfig(values.config);
  const credentials = CredentialStore.open({ stateDir: values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR, logger: context.logger });
  try {
    credentials.addBadge(values.subject, values.badge);
  } finally {
    credentials.close();
  }
  return EXIT.ok;
}

async function show(context: CliContext, subjectId: string, values: Values, say: (key: ConsentMessageKey, params?: MessageParams) => void): Promise<number> {
  validateSubjectId(subjectId);
  const config = values.config === undefined ? undefined : loadConfig(values.config);
  const store = ConsentStore.open({ stateDir: values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR, logger: context.logger });
  try {
    const history = store.history(subjectId).filter((record) => record.purpose === CONSENT_PURPOSE);
    if (values.json) {
      context.stdout.write(`${JSON.stringify(history)}\n`);
      return EXIT.ok;
    }
    if (history.length === 0) {
      say('show.none', { subject: subjectId });
      return EXIT.ok;
    }
    const t = consentMessages.translator(context.locale);
    for (const record of history) {
      const status =
        record.withdrawnAt === null
          ? t('status.active')
          : t('status.withdrawn', { at: formatMacauTime(record.withdrawnAt), method: record.withdrawalMethod ?? '', templates: record.templatesDestroyed ?? 0 });
      say('show.consent', { consent: record.id, law: record.law, grantedAt: formatMacauTime(record.grantedAt), method: record.method, status });
      if (record.witness !== null) say('show.witness', { witness: record.witness });
      for (const form of record.forms) {
        say('show.form', { form: form.id, version: form.version, locale: form.locale, sha256: form.sha256 });
      }
      for (const step of record.steps) {
        say('show.step', { at: formatMacauTime(step.at), step: step.step, device: step.deviceId, ip: step.ip ?? '-', userAgent: step.userAgent, locale: step.locale });
      }
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}


export const consentCommand: Command = {
  name: 'consent',
  summary: {
    en: 'record, withdraw, list and verify workers\' consent to facial recognition',
    'zh-Hant': '記錄、撤回、列出及驗證員工對人臉辨識的同意',
    'zh-Hans': '记录、撤回、列出及验证员工对人脸识别的同意',
    pt: 'registar, retirar, listar e verificar o consentimento ao reconhecimento facial',
  },
  help: CONSENT_HELP,
  run,
};
