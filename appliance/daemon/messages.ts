import { defineMessages } from '../i18n/translate.js';

// Errors of the daemon start-up, keyed by FacegateError code with a `.hint` beside each.
// `facegate run` prints them in the technician's language.
const en = {
  'daemon.device_id_mismatch': 'The device certificate {certFile} has CN {commonName}, but device.id is {deviceId}.',
  'daemon.device_id_mismatch.hint':
    'The certificate CN is the MQTT client id and the device id in every topic; make device.id match it, or install the certificate issued for this device.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'daemon.device_id_mismatch': '設備憑證 {certFile} 的 CN 是 {commonName}，但 device.id 是 {deviceId}。',
  'daemon.device_id_mismatch.hint':
    '憑證的 CN 就是 MQTT 用戶端 ID，也是每個主題中的設備 ID；請把 device.id 改成與它相同，或安裝為本設備簽發的憑證。',
};

const zhHans: Record<Key, string> = {
  'daemon.device_id_mismatch': '设备证书 {certFile} 的 CN 是 {commonName}，但 device.id 是 {deviceId}。',
  'daemon.device_id_mismatch.hint':
    '证书的 CN 就是 MQTT 客户端 ID，也是每个主题中的设备 ID；请把 device.id 改成与它相同，或安装为本设备签发的证书。',
};

const pt: Record<Key, string> = {
  'daemon.device_id_mismatch': 'O certificado do dispositivo {certFile} tem CN {commonName}, mas device.id é {deviceId}.',
  'daemon.device_id_mismatch.hint':
    'O CN do certificado é o id de cliente MQTT e o id do dispositivo em todos os tópicos; faça device.id igual a ele ou instale o certificado emitido para este dispositivo.',
};

export const daemonMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
