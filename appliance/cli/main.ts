import { createLogger } from '../common/logger.js';
import { normaliseLocale, resolveLocale, type Locale } from '../i18n/locale.js';
import { EXIT, createContext, type Command } from './context.js';
import { reportError } from './report-error.js';
import { enrollCommand } from './commands/enroll.js';
import { identifyCommand } from './commands/identify.js';
import { galleryCommand } from './commands/gallery.js';
import { modelsCommand } from './commands/models.js';
import { benchCommand } from './commands/bench.js';
import { auditCommand } from './commands/audit.js';
import { consentCommand } from './commands/consent.js';
import { fleetCommand } from '../../fleet/cli/fleet.js';
import { runCommand } from './commands/run.js';
import { provisionCommand } from '../../provisioning/cli/provision.js';

const COMMANDS: Command[] = [runCommand, enrollCommand, identifyCommand, galleryCommand, modelsCommand, benchCommand, auditCommand, consentCommand, provisionCommand, fleetCommand];

const INTRO: Record<Locale, string> = {
  en: 'facegate: on-device face recognition for gates and attendance.\n\nUsage: facegate COMMAND [options]   (facegate COMMAND --help for details)\nGlobal options: --lang zh-Hant|zh-Hans|en|pt   --log-level LEVEL\n\nCommands:',
  'zh-Hant': 'facegate：閘機及考勤用的裝置端人臉辨識。\n\n用法：facegate 指令 [選項]（facegate 指令 --help 查看說明）\n通用選項：--lang zh-Hant|zh-Hans|en|pt   --log-level 等級\n\n指令：',
  'zh-Hans': 'facegate：闸机及考勤用的设备端人脸识别。\n\n用法：facegate 命令 [选项]（facegate 命令 --help 查看说明）\n通用选项：--lang zh-Hant|zh-Hans|en|pt   --log-level 级别\n\n命令：',
  pt: 'facegate: reconhecimento facial no dispositivo para portas e assiduidade.\n\nUso: facegate COMANDO [opções]   (facegate COMANDO --help para detalhes)\nOpções gerais: --lang zh-Hant|zh-Hans|en|pt   --log-level NÍVEL\n\nComandos:',
};

const EXIT_CODES: Record<Locale, string> = {
  en: 'Exit codes: 0 success, 1 input rejected, 2 usage error, 4 device not set up (models, keys, config).',
  'zh-Hant': '結束代碼：0 成功，1 輸入被拒絕，2 用法錯誤，4 裝置尚未設定（模型、金鑰、設定檔）。',
  'zh-Hans': '退出代码：0 成功，1 输入被拒绝，2 用法错误，4 设备尚未设置（模型、密钥、配置文件）。',
  pt: 'Códigos de saída: 0 sucesso, 1 entrada rejeitada, 2 erro de uso, 4 dispositivo não configurado (modelos, chaves, configuração).',
};

/** The message and hint for a `--lang` value the product does not ship, in the fallback language. */
const UNKNOWN_LANGUAGE: Record<Locale, (value: string) => { message: string; hint: string }> = {
  en: (value) => ({ message: `unknown language "${value}" for --lang`, hint: 'use zh-Hant, zh-Hans, en or pt' }),
  'zh-Hant': (value) => ({ message: `--lang 的語言「${value}」無法識別`, hint: '請使用 zh-Hant、zh-Hans、en 或 pt' }),
  'zh-Hans': (value) => ({ message: `--lang 的语言“${value}”无法识别`, hint: '请使用 zh-Hant、zh-Hans、en 或 pt' }),
  pt: (value) => ({ message: `língua "${value}" desconhecida em --lang`, hint: 'use zh-Hant, zh-Hans, en ou pt' }),
};

/** Take the global options (`--lang`, `--log-level`) out of argv wherever they appear. */
function extractGlobal(argv: string[]): { lang?: string; logLevel?: string; rest: string[] } {
  const rest: string[] = [];
  let lang: string | undefined;
  let logLevel: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--lang' || flag === '--log-level') {
      const value = inline ?? argv[++i];
      if (flag === '--lang') lang = value;
      else logLevel = value;
      continue;
    }
    rest.push(arg);
  }
  return { lang, logLevel, rest };
}

export async function main(argv: string[]): Promise<number> {
  const global = extractGlobal(argv);
  const locale = resolveLocale(global.lang);
  const logger = createLogger({ level: global.logLevel ?? process.env.FACEGATE_LOG_LEVEL ?? 'warn', name: 'facegate.cli' });
  const context = createContext(locale, logger, process.stdout, process.stderr);
  const [name, ...rest] = global.rest;
  if (global.lang !== undefined && normaliseLocale(global.lang) === undefined) {
    const { message, hint } = UNKNOWN_LANGUAGE[locale](global.lang);
    context.stderr.write(`${context.t('error.prefix', { message })}\n${context.t('hint.prefix', { hint })}\n`);
    return EXIT.usage;
  }

  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary[locale]}`);
    process.stdout.write(`${INTRO[locale]}\n${lines.join('\n')}\n\n${EXIT_CODES[locale]}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    process.stdout.write('facegate 0.1.0\n');
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    context.stderr.write(`${context.t('error.prefix', { message: context.t('usage.unknown-command', { command: name }) })}\n`);
    context.stderr.write(`${context.t('hint.prefix', { hint: context.t('usage.unknown-command.hint') })}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help[locale]}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(context, rest);
  } catch (error) {
    return reportError(context, error);
  }
}
