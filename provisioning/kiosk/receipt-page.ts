import { receiptToQr } from '../../appliance/consent/receipt.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { kioskMessages } from './messages.js';
import { escapeHtml, translate } from './pages.js';
import { qrSvg } from './qr.js';

/**
 * Render the printable part of a receipt page: the facts, a QR code of the receipt's QR form (which
 * `facegate consent verify` accepts as it is, see receiptToQr), the JWS text and a print button.
 * The page's print styles hide everything else and fit it on A5 or A4.
 */
export function receiptSection(locale: Locale, receipt: string, facts: { text: string; consentId: string; subjectId: string; at: Date }): string {
  const qrText = receiptToQr(receipt);
  const rows: Array<[string, string]> = [
    [translate(locale, 'receipt.consent'), escapeHtml(facts.consentId)],
    [translate(locale, 'receipt.subject'), escapeHtml(facts.subjectId)],
    [translate(locale, 'receipt.time'), escapeHtml(formatMacauTime(facts.at))],
  ];
  return `<section class="receipt-sheet">
<p>${facts.text}</p>
<dl class="receipt">${rows.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join('')}</dl>
<figure class="qr" data-qr="${escapeHtml(qrText)}">${qrSvg(qrText, kioskMessages.translate(locale, 'receipt.qr'))}<figcaption>${translate(locale, 'receipt.qr')}</figcaption></figure>
<p><code class="receipt" id="receipt">${escapeHtml(receipt)}</code></p>
<p class="no-print"><button type="button" id="print">${translate(locale, 'receipt.print')}</button></p>
</section>`;
}
