import { renderSVG } from 'uqr';
import { escapeHtml } from './pages.js';

/**
 * Render `text` as an inline SVG QR code: error correction M (15 % of the code may be damaged), the
 * 4-module quiet zone the QR standard requires, one SVG unit per module so CSS sets the size.
 */
export function qrSvg(text: string, label: string): string {
  return renderSVG(text, { ecc: 'M', border: 4, pixelSize: 1 }).replace('<svg ', `<svg role="img" aria-label="${escapeHtml(label)}" `);
}
