import { readFile } from 'node:fs/promises';
import type { Logger } from '../../../appliance/common/logger.js';
import { Gallery } from '../../../appliance/gallery/store.js';
import { selectSingleFace } from '../../../appliance/recognition/select-face.js';
import { decodeImage } from '../../../appliance/vision/decode.js';
import { FacePipeline } from '../../../appliance/vision/pipeline.js';

/**
 * Enrol subjects into `<stateDir>/gallery.db` in this process, as `facegate enroll` does (one face
 * per photo, quality gate), without starting a CLI process per subject.
 */
export async function enrolSubjects(
  stateDir: string,
  subjects: ReadonlyArray<{ subjectId: string; displayName: string; photos: readonly string[] }>,
  logger: Logger,
): Promise<Map<string, string>> {
  const pipeline = await FacePipeline.create({}, logger);
  const gallery = Gallery.open({ stateDir, logger });
  const pseudonyms = new Map<string, string>();
  try {
    for (const subject of subjects) {
      const embeddings: Float32Array[] = [];
      for (const photo of subject.photos) {
        const result = await pipeline.analyse(await decodeImage(await readFile(photo), photo), { maxFaces: 10 });
        embeddings.push(selectSingleFace(result, photo).embedding!);
      }
      gallery.addSubject(subject.subjectId, { displayName: subject.displayName });
      gallery.addTemplates(subject.subjectId, embeddings, { modelVersion: pipeline.versions.fr_feature, quality: 1 });
      pseudonyms.set(subject.subjectId, gallery.pseudonymFor(subject.subjectId));
    }
  } finally {
    gallery.close();
    await pipeline.close();
  }
  return pseudonyms;
}
