import path from 'node:path';
import type { Logger } from '../common/logger.js';
import type { FacegateConfig } from '../config/load.js';
import { Identifier } from '../decision/identifier.js';
import { defaultCalibrationPath, loadCalibration, type Calibration } from '../gallery/calibration.js';
import { Matcher } from '../gallery/matcher.js';
import { Gallery } from '../gallery/store.js';
import { modelVersions, readManifest } from '../vision/models.js';

export interface Recognition {
  gallery: Gallery;
  matcher: Matcher;
  calibration: Calibration;
  identifier: Identifier;
  /** Version string of the embedding model, as templates store it. */
  featureModel: string;
  /**
   * Read the gallery again and swap a freshly built matcher into the identifier, so workers enrolled
   * or removed with the CLI while the daemon runs take effect without a restart.
   */
  reload(): { templates: number; subjects: number; rejected: number };
  close(): void;
}

/** Calibration file: `matching.calibrationFile`, else `calibration.json` in the models folder. */
export function calibrationPathFor(config: FacegateConfig): string {
  if (config.matching.calibrationFile !== undefined) return config.matching.calibrationFile;
  return config.modelsDir === undefined ? defaultCalibrationPath() : path.join(config.modelsDir, 'calibration.json');
}

/**
 * Open the encrypted gallery, load the templates of the installed embedding model into the matcher,
 * and load the calibration that turns `matching.targetFpir` into a threshold. A missing or
 * mismatched calibration is an error: without it no threshold can be trusted.
 */
export async function openRecognition(config: FacegateConfig, logger: Logger): Promise<Recognition> {
  const featureModel = modelVersions(await readManifest()).fr_feature;
  const calibration = loadCalibration(calibrationPathFor(config), { modelVersion: featureModel });
  const gallery = Gallery.open({ stateDir: config.stateDir, logger });
  try {
    const loaded = gallery.loadTemplates({ modelVersion: featureModel });
    const matcher = Matcher.fromTemplates(loaded.templates);
    const identifier = new Identifier({ matcher, calibration, targetFpir: config.matching.targetFpir, minMargin: config.matching.minMargin });
    const fields = { templates: matcher.size, subjects: matcher.subjectCount, threshold: Math.round(identifier.threshold() * 1000) / 1000, kernel: matcher.kernel };
    if (matcher.size === 0) logger.warn(fields, 'the gallery is empty: every face will be unknown');
    else logger.info(fields, 'gallery loaded into the matcher');
    const recognition: Recognition = {
      gallery,
      matcher,
      calibration,
      identifier,
      featureModel,
      reload: () => {
        const fresh = gallery.loadTemplates({ modelVersion: featureModel });
        const rebuilt = Matcher.fromTemplates(fresh.templates);
        identifier.replaceMatcher(rebuilt);
        recognition.matcher = rebuilt;
        const counts = { templates: rebuilt.size, subjects: rebuilt.subjectCount, rejected: fresh.rejected.length };
        logger.info(counts, 'gallery reloaded into the matcher');
        return counts;
      },
      close: () => gallery.close(),
    };
    return recognition;
  } catch (error) {
    gallery.close();
    throw error;
  }
}
