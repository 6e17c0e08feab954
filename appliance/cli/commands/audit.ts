import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { FacegateError } from '../../common/errors.js';
import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { buildReport } from '../../audit/report.js';
import { renderReport } from '../../audit/render.js';
import { auditMessages, type AuditMessageKey } from '../../audit/messages.js';
import { parsePeriod } from '../../audit/period.js';
import { DeviceAuditReader, readExport, type AuditSnapshot } from '../../audit/source.js';
import { verifyChain, type VerifyResult } from '../../audit/verify.js';
import { writeExport } from '../../audit/export.js';
import { loadPublicKey } from '../../../protocol/keys.js';
import type { MessageParams } from '../../i18n/translate.js';
import { auditErrorMessages } from '../../audit/error-messages.js';
import { catalogUsageError, parseCommandArgs } from '../args.js';
import { EXIT, type CliContext, type Command } from '../context.js';

const SOURCE_OPTIONS = {
  state: { type: 'string', default: DEFAULT_STATE_DIR },
  db: { type: 'string' },
  key: { type: 'string' },
} as const;

type AuditUsageKey = Extract<keyof (typeof auditErrorMessages.catalogs)['en'], `usage.${string}`>;
const auditUsage = (key: AuditUsageKey, params?: MessageParams) => catalogUsageError(auditErrorMessages, 'audit', key, params);

async function run(context: CliContext, argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === 'verify') return verify(context, rest);
  if (action === 'export') return exportLog(context, rest);
  if (action === 'report') return report(context, rest);
  throw auditUsage('usage.audit.action');
}

function say(context: CliContext, key: AuditMessageKey, params?: MessageParams): void {
  context.stdout.write(`${auditMessages.translate(context.locale, key, params)}\n`);
}

/**
 * Load the --key file and check that it is an Ed25519 key before any entry is read, so a wrong key
 * is rejected even when the log has no checkpoint yet to check it against.
 */
function publicKey(file: string | undefined): KeyObject | undefined {
  if (file === undefined) return undefined;
  const key = loadPublicKey(file);
  if (key.asymmetricKeyType !== 'ed25519') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const type = `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()}${curve === undefined ? '' : ` ${curve}`}`;
    throw new FacegateError('audit.key_wrong_type', `${file} contains a key of type ${type}, but checkpoints are signed with the device's Ed25519 signing key`, {
      hint: "Pass the device's signing public key with --key: keys/device-signing-key.pub.pem in the device state folder. The fleet key is for encryption only.",
      params: { file, type },
    });
  }
  return key;
}

/** Read the whole log from an export file or the device database. */
async function readSnapshot(values: { state: string; db?: string; file?: string }): Promise<AuditSnapshot> {
  if (values.file !== undefined) return readExport(values.file);
  const reader = DeviceAuditReader.open(values.db ?? values.state);
  try {
    return reader.snapshot();
  } finally {
    reader.close();
  }
}

async function verify(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('audit', argv, { ...SOURCE_OPTIONS, file: { type: 'string' }, json: { type: 'boolean', default: false } }, true);
  if (positionals.length > 0) throw auditUsage('usage.audit.no-arguments', { action: 'verify', arguments: positionals.join(' ') });
  const key = publicKey(values.key);
  const snapshot = await readSnapshot(values);
  const result = verifyChain(snapshot.entries, snapshot.checkpoints, { publicKey: key, anchor: snapshot.anchor });
  if (values.json) {
    context.stdout.write(`${JSON.stringify({ source: snapshot.source, deviceId: snapshot.deviceId, ...result })}\n`);
  } else {
    printVerification(context, result);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}

function printVerification(context: CliContext, result: VerifyResult): void {
  if (result.ok) {
    if (result.entries === 0) say(context, 'verify.empty');
    else say(context, 'verify.ok', { entries: result.entries, first: result.firstSeq ?? '-', last: result.lastSeq ?? '-', verified: result.checkpoints.verified, checkpoints: result.checkpoints.total });
  } else if (result.firstBadSeq !== undefined) {
    say(context, 'verify.failed', { seq: result.firstBadSeq, count: result.problems.length });
  } else {
    say(context, 'verify.failed-no-seq', { count: result.problems.length });
  }
  for (const problem of result.problems) say(context, 'verify.problem', { message: problem.message });
  if (result.ok && result.uncheckpointed > 0) say(context, 'verify.uncheckpointed', { count: result.uncheckpointed });
  if (!result.signaturesChecked) say(context, 'verify.no-key');
}

async function exportLog(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'audit',
    argv,
    { ...SOURCE_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'jsonl' }, out: { type: 'string' } },
    true,
  );
  if (positionals.length > 0) throw auditUsage('usage.audit.no-arguments', { action: 'export', arguments: positionals.join(' ') });
  if (values.format !== 'jsonl' && values.format !== 'csv') throw auditUsage('usage.audit.export-format', { value: values.format });
  const period = parsePeriod(values.from, values.to);
  const reader = DeviceAuditReader.open(values.db ?? values.state);
  try {
    if (values.out === undefined) {
      await writeExport(reader, period, values.format, context.stdout);
      return EXIT.ok;
    }
    const temporary = `${values.out}.${process.pid}.tmp`;
    const stream = fs.createWriteStream(temporary, { mode: 0o640 });
    let summary;
    try {
      summary = await writeExport(reader, period, values.format, stream);
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      fs.renameSync(temporary, values.out);
    } catch (error) {
      stream.destroy();
      fs.rmSync(temporary, { force: true });
      throw error;
    }
    context.stderr.write(`${auditMessages.translate(context.locale, 'export.done', { entries: summary.entries, checkpoints: summary.checkpoints, file: values.out })}\n`);
    return EXIT.ok;
  } finally {
    reader.close();
  }
}

async function report(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'audit',
    argv,
    { ...SOURCE_OPTIONS, file: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'text' } },
    true,
  );
  if (positionals.length > 0) throw auditUsage('usage.audit.no-arguments', { action: 'report', arguments: positionals.join(' ') });
  if (values.format !== 'text' && values.format !== 'json') throw auditUsage('usage.audit.report-format', { value: values.format });
  const period = parsePeriod(values.from, values.to);
  const snapshot = await readSnapshot(values);
  const verification = verifyChain(snapshot.entries, snapshot.checkpoints, { publicKey: publicKey(values.key), anchor: snapshot.anchor });
  const result = buildReport({ deviceId: snapshot.deviceId ?? '-', siteId: snapshot.siteId ?? '-', entries: snapshot.entries }, period, verification);
  context.stdout.write(values.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderReport(result, context.locale));
  return EXIT.ok;
}

export const auditCommand: Command = {
  name: 'audit',
  summary: {
    en: 'verify, export and summarise the tamper-evident audit log',
    'zh-Hant': '驗證、匯出及總結防竄改稽核紀錄',
    'zh-Hans': '验证、导出及汇总防篡改审计记录',
    pt: 'verificar, exportar e resumir o registo de auditoria à prova de adulteração',
  },
  help: {
    en: `Usage: facegate audit verify [--state DIR | --db FILE | --file EXPORT.jsonl] [--key PUBLIC_KEY] [--json]
       facegate audit export [--state DIR | --db FILE] [--from TIME] [--to TIME] [--format jsonl|csv] [--out FILE]
       facegate audit report [--state DIR | --db FILE | --file EXPORT.jsonl] [--from TIME] [--to TIME] [--key PUBLIC_KEY] [--format text|json]

verify  checks the hash chain and the signed checkpoints and names the first
        sequence number that was edited, removed, inserted or reordered.
export  writes the entries of a period: JSON Lines that "verify --file" can
        check on their own, or CSV for a spreadsheet.
report  summarises a period for a compliance review: entries by action, chain
        state, share of entries with a synchronised clock, enrolments with
        consent, and withdrawals of consent honoured and how fast.

--state DIR   device state folder holding outbox.db (default ${DEFAULT_STATE_DIR})
--db FILE     the outbox.db file itself
--key FILE    device public key (PEM or JWK) to check checkpoint signatures
--from/--to   a date (2026-12-01, whole days in Macau time, --to included) or
              an RFC 3339 time (--to excluded)

Exit codes: 0 intact / done, 1 the log failed verification or input was rejected, 2 usage error.`,
    'zh-Hant': `用法：facegate audit verify [--state 目錄 | --db 檔案 | --file 匯出檔.jsonl] [--key 公鑰] [--json]
      facegate audit export [--state 目錄 | --db 檔案] [--from 時間] [--to 時間] [--format jsonl|csv] [--out 檔案]
      facegate audit report [--state 目錄 | --db 檔案 | --file 匯出檔.jsonl] [--from 時間] [--to 時間] [--key 公鑰] [--format text|json]

verify  檢查雜湊鏈及已簽署的檢查點，並指出第一筆被修改、刪除、插入或調換次序的紀錄序號。
export  匯出一段期間的紀錄：JSON Lines 格式可由「verify --file」獨立驗證，CSV 格式供試算表使用。
report  為合規審查總結一段期間：按動作分類的紀錄、稽核鏈狀態、時鐘已同步紀錄的比例、
        具同意的登記，以及撤回同意是否已執行及所需時間。

--state 目錄  存放 outbox.db 的裝置狀態目錄（預設 ${DEFAULT_STATE_DIR}）
--db 檔案     outbox.db 檔案本身
--key 檔案    用於核對檢查點簽章的裝置公鑰（PEM 或 JWK）
--from/--to   日期（2026-12-01，以澳門時間計整日，包括 --to 當日）或 RFC 3339 時間（不包括 --to）

結束代碼：0 完整／完成，1 紀錄未通過驗證或輸入被拒絕，2 用法錯誤。`,
    'zh-Hans': `用法：facegate audit verify [--state 目录 | --db 文件 | --file 导出文件.jsonl] [--key 公钥] [--json]
      facegate audit export [--state 目录 | --db 文件] [--from 时间] [--to 时间] [--format jsonl|csv] [--out 文件]
      facegate audit report [--state 目录 | --db 文件 | --file 导出文件.jsonl] [--from 时间] [--to 时间] [--key 公钥] [--format text|json]

verify  检查哈希链及已签名的检查点，并指出第一条被修改、删除、插入或调换次序的记录序号。
export  导出一段期间的记录：JSON Lines 格式可由“verify --file”独立验证，CSV 格式供电子表格使用。
report  为合规审查汇总一段期间：按动作分类的记录、审计链状态、时钟已同步记录的比例、
        具同意的登记，以及撤回同意是否已执行及所需时间。

结束代码：0 完整／完成，1 记录未通过验证或输入被拒绝，2 用法错误。`,
    pt: `Uso: facegate audit verify [--state DIR | --db FICHEIRO | --file EXPORT.jsonl] [--key CHAVE_PUBLICA] [--json]
     facegate audit export [--state DIR | --db FICHEIRO] [--from TEMPO] [--to TEMPO] [--format jsonl|csv] [--out FICHEIRO]
     facegate audit report [--state DIR | --db FICHEIRO | --file EXPORT.jsonl] [--from TEMPO] [--to TEMPO] [--key CHAVE_PUBLICA] [--format text|json]

verify  verifica a cadeia de hashes e os pontos de verificação assinados e indica o primeiro
        número de sequência editado, removido, inserido ou reordenado.
export  exporta os registos de um período: JSON Lines verificável com "verify --file", ou CSV.
report  resume um período para uma revisão de conformidade.

Códigos de saída: 0 íntegro / feito, 1 o registo falhou a verificação ou a entrada foi rejeitada, 2 erro de uso.`,
  },
  run,
};
