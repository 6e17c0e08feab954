import { defineMessages } from '../i18n/translate.js';

/** Lines the `facegate consent` command prints for technicians. */
export const consentMessages = defineMessages({
  en: {
    'form.header': '--- {form} (version {version}, {locale}, SHA-256 {sha256}) ---',
    granted: 'Consent {consent} recorded for {subject} ({law}). Receipt:',
    'receipt.saved': 'Receipt written to {file}.',
    withdrawn: 'Consent {consent} of {subject} withdrawn; {templates} template(s) destroyed with the key. Withdrawal receipt:',
    'verify.ok': 'Valid {kind} receipt signed by device key {kid}.',
    'verify.field': '  {name}: {value}',
    'show.none': '{subject} has no consent records.',
    'show.consent': '{consent}  {law}  given {grantedAt} by {method}  {status}',
    'show.step': '    {at}  {step}  ip {ip}  {userAgent}  {locale}',
    'status.active': 'in force',
    'status.withdrawn': 'withdrawn {at} ({method}), {templates} template(s) destroyed',
  },
  'zh-Hant': {
    'form.header': '--- {form}（版本 {version}，{locale}，SHA-256 {sha256}）---',
    granted: '已記錄 {subject} 的同意 {consent}（{law}）。收據：',
    'receipt.saved': '收據已寫入 {file}。',
    withdrawn: '{subject} 已撤回同意 {consent}；已連同金鑰銷毀 {templates} 個範本。撤回收據：',
    'verify.ok': '有效的 {kind} 收據，由裝置金鑰 {kid} 簽署。',
    'verify.field': '  {name}：{value}',
    'show.none': '{subject} 沒有同意記錄。',
    'show.consent': '{consent}  {law}  於 {grantedAt} 經 {method} 給予  {status}',
    'show.step': '    {at}  {step}  IP {ip}  {userAgent}  {locale}',
    'status.active': '有效',
    'status.withdrawn': '已於 {at} 撤回（{method}），已銷毀 {templates} 個範本',
  },
  'zh-Hans': {
    'form.header': '--- {form}（版本 {version}，{locale}，SHA-256 {sha256}）---',
    granted: '已记录 {subject} 的同意 {consent}（{law}）。收据：',
    'receipt.saved': '收据已写入 {file}。',
    withdrawn: '{subject} 已撤回同意 {consent}；已连同密钥销毁 {templates} 个模板。撤回收据：',
    'verify.ok': '有效的 {kind} 收据，由设备密钥 {kid} 签署。',
    'verify.field': '  {name}：{value}',
    'show.none': '{subject} 没有同意记录。',
    'show.consent': '{consent}  {law}  于 {grantedAt} 经 {method} 给予  {status}',
    'show.step': '    {at}  {step}  IP {ip}  {userAgent}  {locale}',
    'status.active': '有效',
    'status.withdrawn': '已于 {at} 撤回（{method}），已销毁 {templates} 个模板',
  },
  pt: {
    'form.header': '--- {form} (versão {version}, {locale}, SHA-256 {sha256}) ---',
    granted: 'Consentimento {consent} registado para {subject} ({law}). Recibo:',
    'receipt.saved': 'Recibo escrito em {file}.',
    withdrawn: 'Consentimento {consent} de {subject} retirado; {templates} modelo(s) destruído(s) com a chave. Recibo da retirada:',
    'verify.ok': 'Recibo de {kind} válido, assinado pela chave do dispositivo {kid}.',
    'verify.field': '  {name}: {value}',
    'show.none': '{subject} não tem registos de consentimento.',
    'show.consent': '{consent}  {law}  dado em {grantedAt} por {method}  {status}',
    'show.step': '    {at}  {step}  IP {ip}  {userAgent}  {locale}',
    'status.active': 'em vigor',
    'status.withdrawn': 'retirado em {at} ({method}), {templates} modelo(s) destruído(s)',
  },
});

export type ConsentMessageKey = keyof (typeof consentMessages.catalogs)['en'];
