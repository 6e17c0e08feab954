import { FacegateError, isFacegateError } from '../../appliance/common/errors.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import { defineMessages, type MessageParams } from '../../appliance/i18n/translate.js';

// Text an operator reads from `facegate fleet command` and `facegate fleet operator-key`. Error
// entries are keyed by FacegateError code, with a `.hint` beside each. The English text becomes the
// error's message, and the CLI prints the operator's locale.
const en = {
  'command.sent': 'Sent {name} ({commandId}) to {site}/{device}; it expires at {expiresAt}.',
  'command.waiting': 'Waiting up to {seconds} s for the result.',
  'command.result': 'Result: {outcome} ({reason}) at {finishedAt}; audit entry {auditEntryId}.',
  'command.output': '  {key}: {value}',
  'command.no-result': 'no result from {site}/{device} within {seconds} s',
  'command.no-result.hint': 'The device may be offline (the broker does not keep commands for it) or may lack your operator key. Check the dashboard and the device log, then send the command again.',
  'outcome.done': 'done',
  'outcome.rejected': 'rejected',
  'outcome.failed': 'failed',
  'operator-key.created': 'Created the key pair of operator {name} (kid {kid}).',
  'operator-key.private': '  Private key: {file} (mode 0600). Keep it on this computer: it signs your commands.',
  'operator-key.public': '  Public key: {file}. Copy it into {deviceDir} on each device and restart facegate there.',
  'fleet.command.device_unknown': 'device {device} at site {site} is not listed in {file}',
  'fleet.command.device_unknown.hint': 'Add the device under "devices:" with its public key, so that its result can be verified.',
  'fleet.command.operator_key': 'cannot use the operator key {file}: {detail}',
  'fleet.command.operator_key.hint': 'Pass the <operator>.private.pem file that "facegate fleet operator-key create" wrote; it must have mode 0600.',
  'fleet.command.operator_name': '"{name}" is not a valid operator name',
  'fleet.command.operator_name.hint': 'Pass --operator with 1 to 64 characters from A-Z a-z 0-9 . _ @ -, the same name as the public key file on the device.',
  'fleet.command.connect_failed': 'cannot connect to the broker {url}: {detail}',
  'fleet.command.connect_failed.hint': 'Check broker.url and the certificate files in the fleet configuration, and that the broker is running.',
  'fleet.command.publish_failed': 'sending the command on {topic} failed: {detail}',
  'fleet.command.publish_failed.hint': 'The connection to the broker was lost; send the command again.',
  'fleet.command.publish_rejected': 'the broker rejected the command on {topic} ({detail})',
  'fleet.command.publish_rejected.hint': 'Check the broker ACL: the fleet user needs write access to facegate/v1/+/+/cmd/#.',
  'fleet.command.subscribe_rejected': 'the broker rejected the subscription to {topic}',
  'fleet.command.subscribe_rejected.hint': 'Check the broker ACL: the fleet user needs read access to facegate/v1/#.',
  'fleet.operator_key.exists': 'the key file {file} already exists',
  'fleet.operator_key.exists.hint': 'Choose another --out folder or --name, or move the old key aside first.',
  'fleet.operator_key.name': '"{name}" is not a valid operator name',
  'fleet.operator_key.name.hint': 'Pass --name with 1 to 64 characters from A-Z a-z 0-9 . _ @ -, such as ops-lee.',
  'usage.duration': '{option} "{value}" must be a duration from 1s to {max}, such as {examples}',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'command.sent': '已向 {site}/{device} 發出 {name}（{commandId}），於 {expiresAt} 失效。',
  'command.waiting': '最多等候 {seconds} 秒取得結果。',
  'command.result': '結果：{outcome}（{reason}），完成於 {finishedAt}；稽核紀錄 {auditEntryId}。',
  'command.output': '  {key}：{value}',
  'command.no-result': '{seconds} 秒內未收到 {site}/{device} 的結果',
  'command.no-result.hint': '裝置可能離線（代理伺服器不會為其保留指令），或裝置上沒有您的操作員金鑰。請查看儀表板及裝置日誌，然後重新發出指令。',
  'outcome.done': '已完成',
  'outcome.rejected': '被拒絕',
  'outcome.failed': '失敗',
  'operator-key.created': '已建立操作員 {name} 的金鑰對（kid {kid}）。',
  'operator-key.private': '  私密金鑰：{file}（權限 0600）。請保留在這部電腦上：它用來簽署您的指令。',
  'operator-key.public': '  公開金鑰：{file}。請複製到每部裝置的 {deviceDir}，然後重新啟動該裝置上的 facegate。',
  'fleet.command.device_unknown': '{file} 中沒有列出場地 {site} 的裝置 {device}',
  'fleet.command.device_unknown.hint': '請在「devices:」下加入該裝置及其公開金鑰，以便驗證其結果。',
  'fleet.command.operator_key': '無法使用操作員金鑰 {file}：{detail}',
  'fleet.command.operator_key.hint': '請指定「facegate fleet operator-key create」寫出的 <操作員>.private.pem 檔案；其權限必須為 0600。',
  'fleet.command.operator_name': '「{name}」不是有效的操作員名稱',
  'fleet.command.operator_name.hint': '請以 --operator 指定 1 至 64 個 A-Z a-z 0-9 . _ @ - 字元，並與裝置上公開金鑰檔案的名稱相同。',
  'fleet.command.connect_failed': '無法連接代理伺服器 {url}：{detail}',
  'fleet.command.connect_failed.hint': '請檢查裝置群組設定中的 broker.url 及憑證檔案，並確認代理伺服器正在運行。',
  'fleet.command.publish_failed': '在 {topic} 發出指令失敗：{detail}',
  'fleet.command.publish_failed.hint': '與代理伺服器的連線中斷；請重新發出指令。',
  'fleet.command.publish_rejected': '代理伺服器拒絕了 {topic} 上的指令（{detail}）',
  'fleet.command.publish_rejected.hint': '請檢查代理伺服器的 ACL：裝置群組使用者需要 facegate/v1/+/+/cmd/# 的寫入權限。',
  'fleet.command.subscribe_rejected': '代理伺服器拒絕訂閱 {topic}',
  'fleet.command.subscribe_rejected.hint': '請檢查代理伺服器的 ACL：裝置群組使用者需要 facegate/v1/# 的讀取權限。',
  'fleet.operator_key.exists': '金鑰檔案 {file} 已存在',
  'fleet.operator_key.exists.hint': '請以 --out 指定另一個資料夾或以 --name 指定另一個名稱，或先把舊金鑰移走。',
  'fleet.operator_key.name': '「{name}」不是有效的操作員名稱',
  'fleet.operator_key.name.hint': '請以 --name 指定 1 至 64 個 A-Z a-z 0-9 . _ @ - 字元，例如 ops-lee。',
  'usage.duration': '{option}「{value}」必須是 1s 至 {max} 的時間長度，例如 {examples}',
};

const zhHans: Record<Key, string> = {
  'command.sent': '已向 {site}/{device} 发出 {name}（{commandId}），于 {expiresAt} 失效。',
  'command.waiting': '最多等待 {seconds} 秒获取结果。',
  'command.result': '结果：{outcome}（{reason}），完成于 {finishedAt}；审计记录 {auditEntryId}。',
  'command.output': '  {key}：{value}',
  'command.no-result': '{seconds} 秒内未收到 {site}/{device} 的结果',
  'command.no-result.hint': '设备可能离线（代理服务器不会为其保留指令），或设备上没有您的操作员密钥。请查看仪表板及设备日志，然后重新发出指令。',
  'outcome.done': '已完成',
  'outcome.rejected': '被拒绝',
  'outcome.failed': '失败',
  'operator-key.created': '已创建操作员 {name} 的密钥对（kid {kid}）。',
  'operator-key.private': '  私钥：{file}（权限 0600）。请保留在这台电脑上：它用来签署您的指令。',
  'operator-key.public': '  公钥：{file}。请复制到每台设备的 {deviceDir}，然后重启该设备上的 facegate。',
  'fleet.command.device_unknown': '{file} 中没有列出站点 {site} 的设备 {device}',
  'fleet.command.device_unknown.hint': '请在“devices:”下加入该设备及其公钥，以便验证其结果。',
  'fleet.command.operator_key': '无法使用操作员密钥 {file}：{detail}',
  'fleet.command.operator_key.hint': '请指定“facegate fleet operator-key create”写出的 <操作员>.private.pem 文件；其权限必须为 0600。',
  'fleet.command.operator_name': '“{name}”不是有效的操作员名称',
  'fleet.command.operator_name.hint': '请用 --operator 指定 1 至 64 个 A-Z a-z 0-9 . _ @ - 字符，并与设备上公钥文件的名称相同。',
  'fleet.command.connect_failed': '无法连接代理服务器 {url}：{detail}',
  'fleet.command.connect_failed.hint': '请检查设备群组配置中的 broker.url 及证书文件，并确认代理服务器正在运行。',
  'fleet.command.publish_failed': '在 {topic} 发出指令失败：{detail}',
  'fleet.command.publish_failed.hint': '与代理服务器的连接中断；请重新发出指令。',
  'fleet.command.publish_rejected': '代理服务器拒绝了 {topic} 上的指令（{detail}）',
  'fleet.command.publish_rejected.hint': '请检查代理服务器的 ACL：设备群组用户需要 facegate/v1/+/+/cmd/# 的写入权限。',
  'fleet.command.subscribe_rejected': '代理服务器拒绝订阅 {topic}',
  'fleet.command.subscribe_rejected.hint': '请检查代理服务器的 ACL：设备群组用户需要 facegate/v1/# 的读取权限。',
  'fleet.operator_key.exists': '密钥文件 {file} 已存在',
  'fleet.operator_key.exists.hint': '请用 --out 指定另一个文件夹或用 --name 指定另一个名称，或先把旧密钥移走。',
  'fleet.operator_key.name': '“{name}”不是有效的操作员名称',
  'fleet.operator_key.name.hint': '请用 --name 指定 1 至 64 个 A-Z a-z 0-9 . _ @ - 字符，例如 ops-lee。',
  'usage.duration': '{option}“{value}”必须是 1s 至 {max} 的时长，例如 {examples}',
};

const pt: Record<Key, string> = {
  'command.sent': '{name} ({commandId}) enviado para {site}/{device}; expira às {expiresAt}.',
  'command.waiting': 'A aguardar o resultado até {seconds} s.',
  'command.result': 'Resultado: {outcome} ({reason}) às {finishedAt}; entrada de auditoria {auditEntryId}.',
  'command.output': '  {key}: {value}',
  'command.no-result': 'nenhum resultado de {site}/{device} em {seconds} s',
  'command.no-result.hint': 'O dispositivo pode estar desligado (o broker não guarda comandos para ele) ou não ter a sua chave de operador. Verifique o painel e o registo do dispositivo e envie o comando de novo.',
  'outcome.done': 'concluído',
  'outcome.rejected': 'rejeitado',
  'outcome.failed': 'falhou',
  'operator-key.created': 'Par de chaves do operador {name} criado (kid {kid}).',
  'operator-key.private': '  Chave privada: {file} (modo 0600). Mantenha-a neste computador: assina os seus comandos.',
  'operator-key.public': '  Chave pública: {file}. Copie-a para {deviceDir} em cada dispositivo e reinicie aí o facegate.',
  'fleet.command.device_unknown': 'o dispositivo {device} do local {site} não consta de {file}',
  'fleet.command.device_unknown.hint': 'Acrescente o dispositivo em "devices:" com a sua chave pública, para que o resultado possa ser verificado.',
  'fleet.command.operator_key': 'não é possível usar a chave de operador {file}: {detail}',
  'fleet.command.operator_key.hint': 'Indique o ficheiro <operador>.private.pem escrito por "facegate fleet operator-key create"; tem de ter o modo 0600.',
  'fleet.command.operator_name': '"{name}" não é um nome de operador válido',
  'fleet.command.operator_name.hint': 'Indique --operator com 1 a 64 caracteres de A-Z a-z 0-9 . _ @ -, o mesmo nome do ficheiro da chave pública no dispositivo.',
  'fleet.command.connect_failed': 'não é possível ligar ao broker {url}: {detail}',
  'fleet.command.connect_failed.hint': 'Verifique broker.url e os ficheiros de certificado na configuração da frota, e que o broker está a funcionar.',
  'fleet.command.publish_failed': 'o envio do comando em {topic} falhou: {detail}',
  'fleet.command.publish_failed.hint': 'A ligação ao broker perdeu-se; envie o comando de novo.',
  'fleet.command.publish_rejected': 'o broker rejeitou o comando em {topic} ({detail})',
  'fleet.command.publish_rejected.hint': 'Verifique a ACL do broker: o utilizador da frota precisa de acesso de escrita a facegate/v1/+/+/cmd/#.',
  'fleet.command.subscribe_rejected': 'o broker rejeitou a subscrição de {topic}',
  'fleet.command.subscribe_rejected.hint': 'Verifique a ACL do broker: o utilizador da frota precisa de acesso de leitura a facegate/v1/#.',
  'fleet.operator_key.exists': 'o ficheiro de chave {file} já existe',
  'fleet.operator_key.exists.hint': 'Escolha outra pasta --out ou outro --name, ou mova primeiro a chave antiga.',
  'fleet.operator_key.name': '"{name}" não é um nome de operador válido',
  'fleet.operator_key.name.hint': 'Indique --name com 1 a 64 caracteres de A-Z a-z 0-9 . _ @ -, por exemplo ops-lee.',
  'usage.duration': '{option} "{value}" tem de ser uma duração de 1s a {max}, por exemplo {examples}',
};

export const commandMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
export type CommandMessageKey = Key;
export type CommandErrorCode = Extract<Key, `fleet.${string}`> extends infer K ? (K extends `${string}.hint` ? never : K) : never;

/** Build the FacegateError of a code in this catalog, with its English message and hint. */
export function commandError(code: CommandErrorCode, params: MessageParams, cause?: unknown): FacegateError {
  return new FacegateError(code, commandMessages.translate('en', code, params), {
    hint: commandMessages.translate('en', `${code}.hint` as Key, params),
    params,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Return the message and hint of an error of this catalog in `locale`, or undefined for any other error. */
export function localiseCommandError(error: unknown, locale: Locale): { message: string; hint: string } | undefined {
  if (!isFacegateError(error) || !commandMessages.has(error.code) || !commandMessages.has(`${error.code}.hint`)) return undefined;
  return { message: commandMessages.translate(locale, error.code, error.params), hint: commandMessages.translate(locale, `${error.code}.hint` as Key, error.params) };
}
