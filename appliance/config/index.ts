export { ConfigError, formatIssue, type ConfigIssue } from './config-error.js';
export {
  loadConfig,
  parseConfig,
  resolveDerivedPaths,
  validateConfig,
  type DeepReadonly,
  type FacegateConfig,
  type LoadConfigOptions,
  type ResolvedConfig,
} from './load.js';
export { configMessages, type ConfigMessageKey } from './messages.js';
export { brokerHost, isBrokerAllowed, isValidBrokerPattern } from './residency.js';
export {
  cameraSchema,
  configSchema,
  gpioLineSchema,
  type CameraConfig,
  type ConfigInput,
  type FileCameraConfig,
  type FolderCameraConfig,
  type GpioLine,
  type HttpCameraConfig,
  type ParsedConfig,
  type RpicamCameraConfig,
  type RtspCameraConfig,
  type V4l2CameraConfig,
} from './schema.js';
