import { readFile } from 'node:fs/promises';
import { FacegateError, isFacegateError } from '../../common/errors.js';
import { requireConsent } from '../../consent/service.js';
import { ConsentStore } from '../../consent/store.js';
import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { loadConfig } from '../../config/index.js';
import { pipelineSettingsFrom } from '../../daemon/hardware.js';
import { calibrationPathFor } from '../../daemon/recognition.js';
import { Matcher } from '../../gallery/matcher.js';
import { validateSubjectId } from '../../gallery/validate.js';
import type { Locale } from '../../i18n/locale.js';
import type { MessageParams } from '../../i18n/translate.js';
import { selectSingleFace } from '../../recognition/select-face.js';
import { DEFAULT_LIVENESS_THRESHOLD, Recognizer, featureModelVersion, type RecognizerSettings } from '../../recognition/recognizer.js';
import { decodeImage } from '../../vision/decode.js';
import { commandLineActor, recordStandalone } from '../../audit/standalone.js';
import type { AuditDetail } from '../../audit/entry.js';
import { catalogUsageError, parseCommandArgs, parseIntegerOption } from '../args.js';
import { EXIT, type CliContext, type Command } from '../context.js';
import { enrollMessages, type EnrollMessageKey } from '../enroll-messages.js';
import { warnRejectedRows } from '../warn-rejected.js';
import { ENROLL_HELP } from './enroll-help.js';

const OPTIONS = {
  subject: { type: 'string' },
  photo: { type: 'string', multiple: true },
  name: { type: 'string' },
  add: { type: 'boolean', default: false },
  'allow-not-live': { type: 'boolean', default: false },
  face: { type: 'string' },
  config: { type: 'string' },
  state: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** Photos per enrolment; it also keeps the liveness scores within one audit detail text of 128 characters. */
const MAX_PHOTOS = 20;

/** Enrolment rejections that are written to the audit log, with the reason token recorded for each. */
const REJECTION_REASONS: Record<string, string> = {
  'enroll.liveness_failed': 'not-live',
  'enroll.subject_mismatch': 'subject-mismatch',
  'enroll.photos_disagree': 'photos-disagree',
};

const fixed = (value: number, digits = 2): string => value.toFixed(digits);
const rounded = (value: number): number => Math.round(value * 1000) / 1000;

interface EnrollSettings {
  stateDir: string;
  recognizer: RecognizerSettings;
  livenessThreshold: number;
}

/** A photo that passed the checks, with what the audit entry records about it. */
interface CheckedPhoto {
  file: string;
  embedding: Float32Array;
  quality: number;
  liveness: number;
  /** Best similarity to the subject's stored templates; undefined for a first enrolment. */
  subjectScore: number | undefined;
}

/** Read the state folder, models, vision thresholds and calibration from --config when given, as the daemon does. */
function enrollSettings(values: Values, locale: Locale): EnrollSettings {
  const config = values.config === undefined ? undefined : loadConfig(values.config, { locale });
  const stateDir = values.state ?? config?.stateDir ?? DEFAULT_STATE_DIR;
  if (config === undefined) return { stateDir, recognizer: { stateDir }, livenessThreshold: DEFAULT_LIVENESS_THRESHOLD };
  return {
    stateDir,
    recognizer: { stateDir, pipeline: pipelineSettingsFrom(config), calibrationFile: calibrationPathFor(config), targetFpir: config.matching.targetFpir },
    livenessThreshold: config.vision.livenessThreshold,
  };
}

function say(context: CliContext, key: EnrollMessageKey, params: MessageParams): void {
  context.stdout.write(`${enrollMessages.translate(context.locale, key, params)}\n`);
}

function warn(context: CliContext, key: EnrollMessageKey, params: MessageParams): void {
  context.stderr.write(`${context.t('warning.prefix', { message: enrollMessages.translate(context.locale, key, params) })}\n`);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * Build a matcher of the subject's stored templates, to check that photos given with --add show the
 * same person. Returns undefined when the subject has no stored template at all (a first face
 * enrolment), and raises `enroll.no_reference` when templates exist but none is readable with the
 * installed face model, because then the new photos cannot be checked.
 */
function subjectReference(recognizer: Recognizer, subjectId: string): Matcher | undefined {
  const stored = recognizer.gallery.listSubjects().find((subject) => subject.id === subjectId)?.templates ?? 0;
  if (stored === 0) return undefined;
  const loaded = recognizer.gallery.loadTemplates({ modelVersion: featureModelVersion(recognizer.pipeline) });
  const templates = loaded.templates.filter((template) => template.subjectId === subjectId);
  if (templates.length === 0) {
    throw new FacegateError('enroll.no_reference', `subject ${subjectId} has ${stored} stored template(s), but none is readable with the installed face model, so the new photos cannot be checked against them`, {
      hint: `Remove the worker with "facegate gallery remove ${subjectId}" and enrol again without --add.`,
      params: { subject: subjectId, stored },
    });
  }
  return Matcher.fromTemplates(templates);
}

/** Detect the face, print its measurements and reject it below the liveness threshold unless --allow-not-live is given. */
async function analysePhoto(
  context: CliContext,
  recognizer: Recognizer,
  file: string,
  options: { faceIndex: number | undefined; allowNotLive: boolean; livenessThreshold: number },
): Promise<Omit<CheckedPhoto, 'subjectScore'>> {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new FacegateError('image.missing', `cannot read ${file}: ${String(error)}`, { params: { file } });
  });
  const image = await decodeImage(bytes, file);
  const result = await recognizer.pipeline.analyse(image, { maxFaces: 10 });
  const face = selectSingleFace(result, file, options.faceIndex);
  const liveness = face.liveness ?? 0;
  context.say('enroll.photo', {
    file,
    width: Math.round(face.box.x2 - face.box.x1),
    height: Math.round(face.box.y2 - face.box.y1),
    ied: Math.round(face.quality.interEyePx),
    sharpness: Math.round(face.quality.sharpness),
    liveness: fixed(liveness),
  });

  if (liveness < options.livenessThreshold) {
    const params = { file, liveness: fixed(liveness), threshold: fixed(options.livenessThreshold) };
    if (!options.allowNotLive) {
      throw new FacegateError('enroll.liveness_failed', `${file} scored ${params.liveness} on liveness, below the threshold ${params.threshold}: it may be a printed photo or a screen, so nothing was stored`, {
        hint: 'Photograph the worker in person. Only for a scanned ID photo, pass --allow-not-live. The audit log then records the override and the scores.',
        params,
      });
    }
    warn(context, 'enroll.not-live-allowed', params);
  }
  return { file, embedding: face.embedding!, quality: Math.min(1, face.quality.sharpness / 1000), liveness };
}

/**
 * Check one photo against the subject's stored templates and against the photos before it in this
 * enrolment, and warn when it matches another enrolled subject. Returns the photo's best
 * similarity to the stored templates.
 */
function checkIdentity(context: CliContext, recognizer: Recognizer, subjectId: string, photo: Omit<CheckedPhoto, 'subjectScore'>, earlier: readonly CheckedPhoto[], reference: Matcher | undefined, threshold: number | undefined): number | undefined {
  let subjectScore: number | undefined;
  if (reference !== undefined && threshold !== undefined) {
    subjectScore = reference.search(photo.embedding)[0]!.score;
    const params = { file: photo.file, subject: subjectId, score: fixed(subjectScore, 3), threshold: fixed(threshold, 3) };
    if (subjectScore < threshold) {
      throw new FacegateError('enroll.subject_mismatch', `${photo.file} does not match the templates already stored for ${subjectId} (best similarity ${params.score}, threshold ${params.threshold}), so nothing was stored`, {
        hint: `Check that the photo shows worker ${subjectId}. If the stored templates show someone else, remove them with "facegate gallery remove ${subjectId}" and enrol again.`,
        params,
      });
    }
    say(context, 'enroll.subject-match', params);
  }

  if (threshold !== undefined) {
    for (const other of earlier) {
      const score = cosine(photo.embedding, other.embedding);
      if (score >= threshold) continue;
      const params = { file: photo.file, other: other.file, score: fixed(score, 3), threshold: fixed(threshold, 3) };
      throw new FacegateError('enroll.photos_disagree', `${photo.file} and ${other.file} do not show the same person (similarity ${params.score}, threshold ${params.threshold}), so nothing was stored`, {
        hint: 'Give only photos of one worker in one enrolment.',
        params,
      });
    }

    const nearest = recognizer.matcher.nearestOtherSubject(photo.embedding, subjectId);
    if (nearest !== undefined && nearest.score >= threshold) {
      context.warn('enroll.duplicate', { file: photo.file, other: nearest.subjectId, score: fixed(nearest.score, 3), threshold: fixed(threshold, 3) });
    }
  }
  return subjectScore;
}

/** Build the detail of an enrolment's audit entry: liveness scores, whether they were overridden, and match scores. */
function auditDetail(photos: readonly CheckedPhoto[], settings: EnrollSettings, threshold: number | undefined, values: Values): AuditDetail {
  const liveness = photos.map((photo) => photo.liveness);
  const subjectScores = photos.flatMap((photo) => (photo.subjectScore === undefined ? [] : [photo.subjectScore]));
  let agreementMin: number | null = null;
  for (let i = 0; i < photos.length; i++) {
    for (let j = 0; j < i; j++) {
      const score = rounded(cosine(photos[i]!.embedding, photos[j]!.embedding));
      agreementMin = agreementMin === null ? score : Math.min(agreementMin, score);
    }
  }
  return {
    templates: photos.length,
    added: values.add,
    livenessThreshold: settings.livenessThreshold,
    livenessScores: liveness.map((score) => fixed(score)).join(','),
    livenessMin: rounded(Math.min(...liveness)),
    livenessOverridden: liveness.some((score) => score < settings.livenessThreshold),
    matchThreshold: threshold === undefined ? null : rounded(threshold),
    subjectMatchMin: subjectScores.length === 0 ? null : rounded(Math.min(...subjectScores)),
    agreementMin,
  };
}

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('enroll', argv, OPTIONS);
  if (values.subject === undefined) throw catalogUsageError(enrollMessages, 'enroll', 'usage.enroll.subject');
  if (values.photo === undefined || values.photo.length === 0) throw catalogUsageError(enrollMessages, 'enroll', 'usage.enroll.photo');
  if (values.photo.length > MAX_PHOTOS) throw catalogUsageError(enrollMessages, 'enroll', 'usage.enroll.photo-max', { max: MAX_PHOTOS, count: values.photo.length });
  validateSubjectId(values.subject);
  const faceIndex = parseIntegerOption('enroll', 'face', values.face, 1, 50);
  const subjectId = values.subject;
  const photoFiles = values.photo;
  const settings = enrollSettings(values, context.locale);

  // Faces are processed only with recorded consent, so the check comes before any photo is read.
  const consents = ConsentStore.open({ stateDir: settings.stateDir, logger: context.logger });
  try {
    requireConsent(consents, subjectId);
  } finally {
    consents.close();
  }

  // Photos are compared with each other and with stored templates only at a calibrated threshold.
  const needCalibration = values.add || photoFiles.length > 1;
  const recognizer = await Recognizer.open(settings.recognizer, context.logger, { needCalibration });
  try {
    warnRejectedRows(context, recognizer);
    const enrolled = recognizer.gallery.hasSubject(subjectId);
    if (enrolled && !values.add) {
      throw new FacegateError('GALLERY_SUBJECT_EXISTS', `subject ${subjectId} is already enrolled`, { params: { subject: subjectId } });
    }
    const reference = enrolled ? subjectReference(recognizer, subjectId) : undefined;
    const threshold = recognizer.calibration === undefined ? undefined : recognizer.threshold().threshold;

    // Every photo is checked before anything is stored, so a bad photo leaves the gallery unchanged.
    const photos: CheckedPhoto[] = [];
    try {
      for (const file of photoFiles) {
        const photo = await analysePhoto(context, recognizer, file, { faceIndex, allowNotLive: values['allow-not-live'], livenessThreshold: settings.livenessThreshold });
        photos.push({ ...photo, subjectScore: checkIdentity(context, recognizer, subjectId, photo, photos, reference, threshold) });
      }
    } catch (error) {
      if (isFacegateError(error) && Object.hasOwn(REJECTION_REASONS, error.code)) {
        await recordRejection(context, settings, subjectId, error, photos.length + 1);
      }
      throw error;
    }

    if (!enrolled) recognizer.gallery.addSubject(subjectId, values.name === undefined ? {} : { displayName: values.name });
    const ids = recognizer.gallery.addTemplates(subjectId, photos.map((photo) => photo.embedding), {
      modelVersion: featureModelVersion(recognizer.pipeline),
      quality: photos.map((photo) => photo.quality),
    });
    const detail = auditDetail(photos, settings, threshold, values);
    context.logger.info({ subject: recognizer.gallery.pseudonymFor(subjectId), templates: ids.length, livenessOverridden: detail.livenessOverridden }, 'subject enrolled');
    await recordStandalone(
      settings.stateDir,
      { actor: commandLineActor(), action: 'enrolment.add', object: { kind: 'subject', id: subjectId }, outcome: 'success', detail },
      context.logger,
    );
    context.say('enroll.done', { subject: subjectId, templates: ids.length });
    return EXIT.ok;
  } finally {
    await recognizer.close();
  }
}

/** Record a rejected enrolment, so the audit log shows attempts to enrol a spoof or another person's face. */
async function recordRejection(context: CliContext, settings: EnrollSettings, subjectId: string, error: FacegateError, photoNumber: number): Promise<void> {
  const detail: AuditDetail = { photo: photoNumber };
  for (const name of ['liveness', 'score', 'threshold'] as const) {
    const value = Number(error.params[name]);
    if (error.params[name] !== undefined && Number.isFinite(value)) detail[name] = value;
  }
  const draft = { actor: commandLineActor(), action: 'enrolment.add', object: { kind: 'subject', id: subjectId }, outcome: 'failure', reason: REJECTION_REASONS[error.code]!, detail } as const;
  try {
    await recordStandalone(settings.stateDir, draft, context.logger);
  } catch (auditError) {
    // The rejection itself is what the technician must see, so a failed audit write is only logged.
    context.logger.error({ err: auditError, code: error.code }, 'rejected enrolment not written to the audit log');
  }
}

export const enrollCommand: Command = {
  name: 'enroll',
  summary: {
    en: 'enrol a worker from one or more photos',
    'zh-Hant': '以一張或多張照片登記人員',
    'zh-Hans': '以一张或多张照片登记人员',
    pt: 'registar um trabalhador a partir de uma ou mais fotografias',
  },
  help: ENROLL_HELP,
  run,
};
