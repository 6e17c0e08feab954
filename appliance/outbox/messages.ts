import { FacegateError } from '../common/errors.js';
import { defineMessages, type MessageParams } from '../i18n/translate.js';

/**
 * Outbox errors a technician may see when the daemon refuses to record attendance. Each code has
 * a message and a `.hint`; the English text becomes the FacegateError message.
 */
export const outboxMessages = defineMessages({
  en: {
    'outbox.full': 'The outbox holds {depth} undelivered events, at its hard limit of {hardLimit}; no more events can be recorded.',
    'outbox.full.hint':
      'The device has not reached the broker for a long time. Check the network and the broker (journalctl -u facegate, look for "mqtt"); events are sent and the outbox empties as soon as the broker acknowledges them.',
    'outbox.disk_full': 'Only {freeBytes} bytes are free in {dir}, below the {minFreeBytes}-byte reserve the outbox keeps.',
    'outbox.disk_full.hint': 'Free disk space on the device (old logs, core dumps) or move the state folder to a larger disk.',
    'outbox.write_failed': 'Writing event {id} to the outbox {file} failed: {detail}',
    'outbox.write_failed.hint': 'Check the disk (`df -h`, `dmesg` for I/O errors) and that the facegate user can write {file}.',
    'outbox.open_failed': 'The outbox database {file} cannot be opened: {detail}',
    'outbox.open_failed.hint':
      'If the file is damaged, stop the service, move {file} and its -wal and -shm files aside (keep them: they may hold undelivered events), and start again.',
    'outbox.invalid_entry': 'The outbox entry {id} is invalid: {detail}',
    'outbox.invalid_entry.hint': 'This is a programming error in the code that built the entry; the event was not recorded.',
  },
  'zh-Hant': {
    'outbox.full': '待發送佇列中有 {depth} 筆未送達的事件，已達硬性上限 {hardLimit}，無法再記錄新事件。',
    'outbox.full.hint':
      '設備已長時間無法連線到代理伺服器。請檢查網絡與代理伺服器（journalctl -u facegate，搜尋 "mqtt"）；代理伺服器一確認收到，事件便會送出，佇列隨之清空。',
    'outbox.disk_full': '{dir} 只剩 {freeBytes} 位元組可用，低於佇列保留的 {minFreeBytes} 位元組。',
    'outbox.disk_full.hint': '請釋放設備上的磁碟空間（舊日誌、核心傾印），或把狀態資料夾移到較大的磁碟。',
    'outbox.write_failed': '把事件 {id} 寫入待發送佇列 {file} 失敗：{detail}',
    'outbox.write_failed.hint': '請檢查磁碟（`df -h`，以 `dmesg` 查看 I/O 錯誤），並確認 facegate 使用者可寫入 {file}。',
    'outbox.open_failed': '無法開啟待發送佇列資料庫 {file}：{detail}',
    'outbox.open_failed.hint':
      '如果檔案已損壞，請停止服務，把 {file} 以及它的 -wal 和 -shm 檔案移到別處（請保留，裡面可能有未送達的事件），然後重新啟動。',
    'outbox.invalid_entry': '待發送佇列項目 {id} 無效：{detail}',
    'outbox.invalid_entry.hint': '這是產生該項目的程式錯誤；事件沒有被記錄。',
  },
  'zh-Hans': {
    'outbox.full': '待发送队列中有 {depth} 条未送达的事件，已达硬性上限 {hardLimit}，无法再记录新事件。',
    'outbox.full.hint':
      '设备已长时间无法连接到代理服务器。请检查网络与代理服务器（journalctl -u facegate，搜索 "mqtt"）；代理服务器一确认收到，事件便会发出，队列随之清空。',
    'outbox.disk_full': '{dir} 只剩 {freeBytes} 字节可用，低于队列保留的 {minFreeBytes} 字节。',
    'outbox.disk_full.hint': '请释放设备上的磁盘空间（旧日志、核心转储），或把状态文件夹移到更大的磁盘。',
    'outbox.write_failed': '把事件 {id} 写入待发送队列 {file} 失败：{detail}',
    'outbox.write_failed.hint': '请检查磁盘（`df -h`，用 `dmesg` 查看 I/O 错误），并确认 facegate 用户可写入 {file}。',
    'outbox.open_failed': '无法打开待发送队列数据库 {file}：{detail}',
    'outbox.open_failed.hint':
      '如果文件已损坏，请停止服务，把 {file} 及其 -wal 和 -shm 文件移到别处（请保留，其中可能有未送达的事件），然后重新启动。',
    'outbox.invalid_entry': '待发送队列条目 {id} 无效：{detail}',
    'outbox.invalid_entry.hint': '这是生成该条目的程序错误；事件没有被记录。',
  },
  pt: {
    'outbox.full': 'A fila de envio tem {depth} eventos por entregar, no limite máximo de {hardLimit}; não é possível registar mais eventos.',
    'outbox.full.hint':
      'O dispositivo não contacta o broker há muito tempo. Verifique a rede e o broker (journalctl -u facegate, procure "mqtt"); os eventos são enviados e a fila esvazia assim que o broker os confirma.',
    'outbox.disk_full': 'Só há {freeBytes} bytes livres em {dir}, abaixo da reserva de {minFreeBytes} bytes da fila de envio.',
    'outbox.disk_full.hint': 'Liberte espaço em disco no dispositivo (registos antigos, core dumps) ou mude a pasta de estado para um disco maior.',
    'outbox.write_failed': 'Falhou a escrita do evento {id} na fila de envio {file}: {detail}',
    'outbox.write_failed.hint': 'Verifique o disco (`df -h`, `dmesg` para erros de E/S) e se o utilizador facegate pode escrever em {file}.',
    'outbox.open_failed': 'Não é possível abrir a base de dados da fila de envio {file}: {detail}',
    'outbox.open_failed.hint':
      'Se o ficheiro estiver danificado, pare o serviço, mova {file} e os ficheiros -wal e -shm para outro lado (guarde-os: podem conter eventos por entregar) e volte a iniciar.',
    'outbox.invalid_entry': 'A entrada {id} da fila de envio é inválida: {detail}',
    'outbox.invalid_entry.hint': 'É um erro de programação no código que criou a entrada; o evento não foi registado.',
  },
});

export type OutboxMessageKey = keyof typeof outboxMessages.catalogs.en;
export type OutboxErrorCode = Exclude<OutboxMessageKey, `${string}.hint`>;

export function outboxError(code: OutboxErrorCode, params: MessageParams, cause?: unknown): FacegateError {
  return new FacegateError(code, outboxMessages.translate('en', code, params), {
    hint: outboxMessages.translate('en', `${code}.hint`, params),
    params,
    cause,
  });
}
