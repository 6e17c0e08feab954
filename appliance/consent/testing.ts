import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { generateSigningKeyPair } from '../../protocol/keys.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { CONSENT_PURPOSE, renderForm } from './forms.js';
import { signReceipt } from './receipt.js';
import { CONFIRM_STEP, FACE_CONSENT_STEP } from './service.js';
import { ConsentStore, type ConsentStep } from './store.js';

const TEST_PARTIES = { controller: 'Test Employer Lda.', contact: 'privacy@example.test', retentionDays: 30 };

/**
 * Record a complete, technician-witnessed consent for each subject straight into `<stateDir>/consent.db`,
 * for tests and the demo that enrol workers without provisioning a device identity and roster first.
 * The receipts are signed by a throwaway key, so they verify against nothing a device publishes.
 */
export async function recordConsentForTests(stateDir: string, subjectIds: readonly string[]): Promise<void> {
  const store = ConsentStore.open({ stateDir, logger: pino({ level: 'silent' }) });
  const { privateKey } = generateSigningKeyPair();
  try {
    for (const subjectId of subjectIds) {
      if (store.active(subjectId, CONSENT_PURPOSE) !== undefined) continue;
      const form = renderForm('macau-pdpa-notice', 'en', TEST_PARTIES);
      const now = new Date();
      const step = (name: string): ConsentStep => ({ step: name, at: now, ip: null, userAgent: 'facegate-test', deviceId: 'test-device', locale: 'en' });
      const id = randomUUID();
      const accepted = [{ id: form.id, version: form.version, locale: form.locale, sha256: form.sha256 }];
      const receipt = await signReceipt(
        {
          kind: 'consent',
          consentId: id,
          subject: subjectId,
          purpose: CONSENT_PURPOSE,
          deviceId: 'test-device',
          siteId: 'test-site',
          law: 'macau-pdpa',
          forms: accepted,
          method: 'cli',
          witness: 'test-technician',
          grantedAt: formatMacauTime(now),
        },
        privateKey,
      );
      store.insert({
        id,
        subjectId,
        purpose: CONSENT_PURPOSE,
        law: 'macau-pdpa',
        locale: 'en',
        forms: accepted,
        method: 'cli',
        witness: 'test-technician',
        grantedAt: now,
        receipt,
        steps: [step(`form-shown:${form.id}`), step(FACE_CONSENT_STEP), step(CONFIRM_STEP)],
      });
    }
  } finally {
    store.close();
  }
}
