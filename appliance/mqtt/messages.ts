import { FacegateError } from '../common/errors.js';
import { defineMessages, type MessageParams } from '../i18n/translate.js';

/**
 * Technician-facing MQTT set-up errors, raised when the publisher is built from a bad
 * configuration or certificate. Each code has a message and a `.hint`; the English text becomes
 * the FacegateError message.
 */
export const mqttMessages = defineMessages({
  en: {
    'mqtt.cert_unreadable': 'The device certificate {file} cannot be read: {detail}',
    'mqtt.cert_unreadable.hint': 'Check mqtt.tls.cert in the configuration and that the facegate user can read the file; provision the device again if it is missing.',
    'mqtt.cert_no_cn': 'The device certificate {file} has no single CN in its subject ({subject}).',
    'mqtt.cert_no_cn.hint': 'The CN of the client certificate is the device id; issue a certificate with subject CN=<device id>.',
    'mqtt.cert_bad_cn': 'The CN {cn} of the device certificate {file} is not a valid device id: it {problem}.',
    'mqtt.cert_bad_cn.hint': 'Issue a certificate whose CN is 1 to 64 characters from A-Z, a-z, 0-9, ".", "_" and "-".',
    'mqtt.tls_file_unreadable': 'The TLS file {file} ({role}) cannot be read: {detail}',
    'mqtt.tls_file_unreadable.hint': 'Check mqtt.tls in the configuration and the file permissions (private key 0600, owned by the facegate user).',
    'mqtt.bad_url': 'The broker URL {url} is invalid: {problem}.',
    'mqtt.bad_url.hint': 'Use mqtts://<host>:<port>, for example mqtts://broker.example.mo:8883; facegate connects only over TLS.',
  },
  'zh-Hant': {
    'mqtt.cert_unreadable': '無法讀取設備憑證 {file}：{detail}',
    'mqtt.cert_unreadable.hint': '請檢查設定中的 mqtt.tls.cert，並確認 facegate 使用者可讀取該檔案；如檔案遺失，請重新佈建設備。',
    'mqtt.cert_no_cn': '設備憑證 {file} 的主體中沒有唯一的 CN（{subject}）。',
    'mqtt.cert_no_cn.hint': '用戶端憑證的 CN 就是設備編號；請簽發主體為 CN=<設備編號> 的憑證。',
    'mqtt.cert_bad_cn': '設備憑證 {file} 的 CN {cn} 不是有效的設備編號：{problem}。',
    'mqtt.cert_bad_cn.hint': '請簽發 CN 為 1 至 64 個字元（A-Z、a-z、0-9、"."、"_"、"-"）的憑證。',
    'mqtt.tls_file_unreadable': '無法讀取 TLS 檔案 {file}（{role}）：{detail}',
    'mqtt.tls_file_unreadable.hint': '請檢查設定中的 mqtt.tls 與檔案權限（私鑰 0600，擁有者為 facegate 使用者）。',
    'mqtt.bad_url': '代理伺服器網址 {url} 無效：{problem}。',
    'mqtt.bad_url.hint': '請使用 mqtts://<主機>:<連接埠>，例如 mqtts://broker.example.mo:8883；facegate 只經 TLS 連線。',
  },
  'zh-Hans': {
    'mqtt.cert_unreadable': '无法读取设备证书 {file}：{detail}',
    'mqtt.cert_unreadable.hint': '请检查配置中的 mqtt.tls.cert，并确认 facegate 用户可读取该文件；如文件丢失，请重新部署设备。',
    'mqtt.cert_no_cn': '设备证书 {file} 的主体中没有唯一的 CN（{subject}）。',
    'mqtt.cert_no_cn.hint': '客户端证书的 CN 就是设备编号；请签发主体为 CN=<设备编号> 的证书。',
    'mqtt.cert_bad_cn': '设备证书 {file} 的 CN {cn} 不是有效的设备编号：{problem}。',
    'mqtt.cert_bad_cn.hint': '请签发 CN 为 1 到 64 个字符（A-Z、a-z、0-9、"."、"_"、"-"）的证书。',
    'mqtt.tls_file_unreadable': '无法读取 TLS 文件 {file}（{role}）：{detail}',
    'mqtt.tls_file_unreadable.hint': '请检查配置中的 mqtt.tls 与文件权限（私钥 0600，所有者为 facegate 用户）。',
    'mqtt.bad_url': '代理服务器地址 {url} 无效：{problem}。',
    'mqtt.bad_url.hint': '请使用 mqtts://<主机>:<端口>，例如 mqtts://broker.example.mo:8883；facegate 只通过 TLS 连接。',
  },
  pt: {
    'mqtt.cert_unreadable': 'Não é possível ler o certificado do dispositivo {file}: {detail}',
    'mqtt.cert_unreadable.hint': 'Verifique mqtt.tls.cert na configuração e se o utilizador facegate pode ler o ficheiro; se faltar, volte a provisionar o dispositivo.',
    'mqtt.cert_no_cn': 'O certificado do dispositivo {file} não tem um único CN no sujeito ({subject}).',
    'mqtt.cert_no_cn.hint': 'O CN do certificado de cliente é o identificador do dispositivo; emita um certificado com sujeito CN=<identificador>.',
    'mqtt.cert_bad_cn': 'O CN {cn} do certificado do dispositivo {file} não é um identificador válido: {problem}.',
    'mqtt.cert_bad_cn.hint': 'Emita um certificado cujo CN tenha 1 a 64 caracteres de A-Z, a-z, 0-9, ".", "_" e "-".',
    'mqtt.tls_file_unreadable': 'Não é possível ler o ficheiro TLS {file} ({role}): {detail}',
    'mqtt.tls_file_unreadable.hint': 'Verifique mqtt.tls na configuração e as permissões (chave privada 0600, do utilizador facegate).',
    'mqtt.bad_url': 'O URL do broker {url} é inválido: {problem}.',
    'mqtt.bad_url.hint': 'Use mqtts://<anfitrião>:<porta>, por exemplo mqtts://broker.example.mo:8883; o facegate liga-se apenas por TLS.',
  },
});

export type MqttMessageKey = keyof typeof mqttMessages.catalogs.en;
export type MqttErrorCode = Exclude<MqttMessageKey, `${string}.hint`>;

export function mqttError(code: MqttErrorCode, params: MessageParams, cause?: unknown): FacegateError {
  return new FacegateError(code, mqttMessages.translate('en', code, params), {
    hint: mqttMessages.translate('en', `${code}.hint`, params),
    params,
    cause,
  });
}
