import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isFacegateError } from '../../common/errors.js';
import type { ConsentService } from '../../consent/service.js';
import type { CommandHandler } from '../registry.js';

/**
 * `withdraw-consent`: withdraw a worker's consent to facial recognition for them (after a request
 * by e-mail or at the HR office), destroy their templates and rebuild the matcher at once, so the
 * withdrawal takes effect before the result is sent. The consent service writes its own
 * `consent.withdraw` entry, with the operator as actor, beside this command's entry.
 */

export const withdrawConsentArgs = z.strictObject({
  /** Worker id from the roster, as the gallery and the consent records use it. */
  subject: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a worker id: 1 to 64 characters from A-Z a-z 0-9 . _ -'),
  /** Why, as the operator recorded it, e.g. "request by e-mail 2026-12-04". Kept in the audit entry. */
  reason: z.string().min(1).max(128),
});

export interface WithdrawConsentDependencies {
  consent: Pick<ConsentService, 'withdraw'>;
  /** Rebuild the matcher from the gallery; the daemon passes the reload its withdrawal watcher uses. */
  reload: () => { templates: number; subjects: number; rejected: number };
}

export function withdrawConsentHandler(dependencies: WithdrawConsentDependencies): CommandHandler<z.infer<typeof withdrawConsentArgs>> {
  return {
    name: 'withdraw-consent',
    action: 'command.withdraw-consent',
    args: withdrawConsentArgs,
    async run(args, context) {
      const detail = { subject: args.subject, withdrawReason: args.reason };
      let withdrawn;
      try {
        withdrawn = await dependencies.consent.withdraw({
          subjectId: args.subject,
          method: 'remote-command',
          actor: { kind: 'operator', id: context.operator },
          sourceAddress: context.sourceAddress,
        });
      } catch (error) {
        if (isFacegateError(error) && error.code === 'consent.not_found') {
          // The gate's logs name no worker, so the line names the command and its audit entry names the worker.
          context.logger.warn({ commandId: context.commandId }, 'withdraw-consent: the worker has no consent in force');
          return { outcome: 'failed', reason: 'no-consent', detail };
        }
        throw error;
      }
      const matcher = dependencies.reload();
      return {
        outcome: 'done',
        reason: 'consent-withdrawn',
        output: {
          consentId: withdrawn.record.id,
          receiptSha256: createHash('sha256').update(withdrawn.receipt).digest('hex'),
          templatesDestroyed: withdrawn.templatesDestroyed,
        },
        detail: { ...detail, consentId: withdrawn.record.id, templatesDestroyed: withdrawn.templatesDestroyed, matcherSubjects: matcher.subjects },
      };
    },
  };
}
