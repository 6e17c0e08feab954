import { defineMessages } from '../i18n/translate.js';

// Errors of the systemd integration, keyed by FacegateError code with a `.hint` beside each.
// `facegate run` prints them in the technician's language.
const en = {
  'systemd.notify_socket_unsupported': 'NOTIFY_SOCKET={value} is not a filesystem socket path, which is the only kind facegate can send to.',
  'systemd.notify_socket_unsupported.hint':
    'Run facegate under systemd, which sets a path such as /run/systemd/notify, or unset NOTIFY_SOCKET for a run outside systemd.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'systemd.notify_socket_unsupported': 'NOTIFY_SOCKET={value} 不是檔案系統中的 socket 路徑，而 facegate 只能傳送到這種 socket。',
  'systemd.notify_socket_unsupported.hint':
    '請在 systemd 下執行 facegate（它會設定 /run/systemd/notify 之類的路徑），或在 systemd 以外執行時取消設定 NOTIFY_SOCKET。',
};

const zhHans: Record<Key, string> = {
  'systemd.notify_socket_unsupported': 'NOTIFY_SOCKET={value} 不是文件系统中的 socket 路径，而 facegate 只能发送到这种 socket。',
  'systemd.notify_socket_unsupported.hint':
    '请在 systemd 下运行 facegate（它会设置 /run/systemd/notify 之类的路径），或在 systemd 以外运行时取消设置 NOTIFY_SOCKET。',
};

const pt: Record<Key, string> = {
  'systemd.notify_socket_unsupported': 'NOTIFY_SOCKET={value} não é um caminho de socket no sistema de ficheiros, o único tipo para o qual o facegate consegue enviar.',
  'systemd.notify_socket_unsupported.hint':
    'Execute o facegate sob o systemd, que define um caminho como /run/systemd/notify, ou remova NOTIFY_SOCKET numa execução fora do systemd.',
};

export const systemdMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
