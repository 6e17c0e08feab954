/** The gallery: encrypted template storage, the in-memory matcher and open-set calibration. */
export {
  Gallery,
  DEFAULT_EMBEDDING_DIMENSION,
  type GalleryOptions,
  type GalleryTemplate,
  type LoadResult,
  type RemovalResult,
  type SubjectSummary,
} from './store.js';
export { validateSubjectId } from './validate.js';
export { Matcher, type MatcherOptions, type MatcherTemplate, type SubjectMatch } from './matcher.js';
export {
  Calibration,
  CALIBRATION_FORMAT,
  buildImpostorTail,
  comparisonFmrFor,
  createCalibrationFile,
  defaultCalibrationPath,
  loadCalibration,
  parseCalibration,
  saveCalibration,
  thresholdFromTail,
  type CalibrationFile,
  type ThresholdResult,
} from './calibration.js';
export { dataKeyPath, loadOrCreateDataKey, DATA_KEY_BYTES } from './data-key.js';
