import { requireConsent } from '../consent/service.js';
import type { ConsentStore } from '../consent/store.js';
import type { Matcher } from '../gallery/matcher.js';
import type { Gallery } from '../gallery/store.js';
import { validateSubjectId } from '../gallery/validate.js';

export interface DuplicateMatch {
  /** The other enrolled subject the new template matches. */
  subjectId: string;
  score: number;
  /** The calibrated threshold the score reached. */
  threshold: number;
}

/**
 * Match a new template against the gallery, leaving out the subject being enrolled. A score at or
 * above the calibrated threshold means the gate would take this face for the other subject.
 */
export function findDuplicate(matcher: Matcher, template: Float32Array, subjectId: string, threshold: number): DuplicateMatch | undefined {
  const other = matcher.nearestOtherSubject(template, subjectId);
  if (other === undefined || other.score < threshold) return undefined;
  return { subjectId: other.subjectId, score: other.score, threshold };
}

export interface StoredTemplate {
  templateId: string;
  /** The subject had no gallery entry before this template. */
  newSubject: boolean;
}

/**
 * Store one template for a subject as `facegate enroll` does: consent in force first
 * (`consent.missing` otherwise), then the subject and its key if it is new, then the template
 * encrypted under that key.
 */
export function storeTemplate(options: {
  consents: ConsentStore;
  gallery: Gallery;
  subjectId: string;
  template: Float32Array;
  modelVersion: string;
  quality: number;
}): StoredTemplate {
  const { gallery, subjectId } = options;
  validateSubjectId(subjectId);
  requireConsent(options.consents, subjectId);
  const newSubject = !gallery.hasSubject(subjectId);
  if (newSubject) gallery.addSubject(subjectId);
  const [templateId] = gallery.addTemplates(subjectId, [options.template], { modelVersion: options.modelVersion, quality: options.quality });
  return { templateId: templateId!, newSubject };
}
