/**
 * The configuration keys `provision configure` sets from options and questions: one entry per
 * option, with the key path it writes and how its text becomes a YAML value.
 */

export type SettingKind = 'text' | 'integer' | 'number' | 'boolean' | 'line' | 'polarity' | 'list';

export interface Setting {
  /** Command line option without the leading dashes. */
  option: string;
  path: readonly string[];
  kind: SettingKind;
  /** `none` deletes this path (the whole section for a buzzer, button or contact). */
  removable?: readonly string[];
  /** Placeholder shown in help and in the hint after a rejected configuration. */
  placeholder: string;
}

export const SETTINGS: readonly Setting[] = [
  { option: 'device', path: ['device', 'id'], kind: 'text', placeholder: 'ID' },
  { option: 'site', path: ['device', 'site'], kind: 'text', placeholder: 'SITE' },
  { option: 'direction', path: ['device', 'direction'], kind: 'text', placeholder: 'in|out' },
  { option: 'locale', path: ['device', 'locale'], kind: 'text', placeholder: 'zh-Hant|zh-Hans|en|pt' },
  { option: 'state', path: ['stateDir'], kind: 'text', placeholder: 'DIR' },
  { option: 'models-dir', path: ['modelsDir'], kind: 'text', placeholder: 'DIR' },
  { option: 'camera', path: ['camera', 'type'], kind: 'text', placeholder: 'v4l2|rtsp|http|file|folder|rpicam' },
  { option: 'camera-device', path: ['camera', 'device'], kind: 'text', placeholder: '/dev/videoN' },
  { option: 'camera-url', path: ['camera', 'url'], kind: 'text', placeholder: 'URL' },
  { option: 'camera-path', path: ['camera', 'path'], kind: 'text', placeholder: 'PATH' },
  { option: 'camera-loop', path: ['camera', 'loop'], kind: 'boolean', placeholder: 'true|false' },
  { option: 'camera-format', path: ['camera', 'inputFormat'], kind: 'text', placeholder: 'mjpeg|yuyv422' },
  { option: 'camera-index', path: ['camera', 'cameraIndex'], kind: 'integer', placeholder: 'N' },
  { option: 'width', path: ['camera', 'width'], kind: 'integer', placeholder: 'PX' },
  { option: 'height', path: ['camera', 'height'], kind: 'integer', placeholder: 'PX' },
  { option: 'fps', path: ['camera', 'fps'], kind: 'integer', placeholder: 'N' },
  { option: 'gpio', path: ['door', 'gpio', 'type'], kind: 'text', placeholder: 'chardev|sysfs|simulated' },
  { option: 'gpio-chip', path: ['door', 'gpio', 'chip'], kind: 'text', placeholder: 'gpiochipN' },
  { option: 'relay', path: ['door', 'relay', 'line'], kind: 'line', placeholder: 'LINE' },
  { option: 'relay-polarity', path: ['door', 'relay', 'activeLow'], kind: 'polarity', placeholder: 'active-high|active-low' },
  { option: 'pulse-ms', path: ['door', 'relay', 'pulseMs'], kind: 'integer', placeholder: 'MS' },
  { option: 'led-green', path: ['door', 'leds', 'green'], kind: 'line', removable: ['door', 'leds', 'green'], placeholder: 'LINE|none' },
  { option: 'led-red', path: ['door', 'leds', 'red'], kind: 'line', removable: ['door', 'leds', 'red'], placeholder: 'LINE|none' },
  { option: 'led-amber', path: ['door', 'leds', 'amber'], kind: 'line', removable: ['door', 'leds', 'amber'], placeholder: 'LINE|none' },
  { option: 'led-polarity', path: ['door', 'leds', 'activeLow'], kind: 'polarity', placeholder: 'active-high|active-low' },
  { option: 'buzzer', path: ['door', 'buzzer', 'line'], kind: 'line', removable: ['door', 'buzzer'], placeholder: 'LINE|none' },
  { option: 'buzzer-polarity', path: ['door', 'buzzer', 'activeLow'], kind: 'polarity', placeholder: 'active-high|active-low' },
  { option: 'exit-button', path: ['door', 'exitButton', 'line'], kind: 'line', removable: ['door', 'exitButton'], placeholder: 'LINE|none' },
  { option: 'exit-button-polarity', path: ['door', 'exitButton', 'activeLow'], kind: 'polarity', placeholder: 'active-high|active-low' },
  { option: 'door-contact', path: ['door', 'doorContact', 'line'], kind: 'line', removable: ['door', 'doorContact'], placeholder: 'LINE|none' },
  { option: 'door-open-level', path: ['door', 'doorContact', 'openLevel'], kind: 'text', placeholder: 'high|low' },
  { option: 'held-open-ms', path: ['door', 'heldOpenMs'], kind: 'integer', placeholder: 'MS' },
  { option: 'broker', path: ['mqtt', 'url'], kind: 'text', placeholder: 'mqtts://HOST:PORT' },
  { option: 'allowed-broker', path: ['residency', 'allowedBrokers'], kind: 'list', placeholder: 'HOST' },
  { option: 'votes', path: ['decision', 'votesRequired'], kind: 'integer', placeholder: 'N' },
  { option: 'debounce-ms', path: ['decision', 'debounceMs'], kind: 'integer', placeholder: 'MS' },
  { option: 'min-detection-score', path: ['vision', 'minDetectionScore'], kind: 'number', placeholder: '0..1' },
  { option: 'liveness-threshold', path: ['vision', 'livenessThreshold'], kind: 'number', placeholder: '0..1' },
  { option: 'target-fpir', path: ['matching', 'targetFpir'], kind: 'number', placeholder: '0..1' },
  { option: 'min-margin', path: ['matching', 'minMargin'], kind: 'number', placeholder: '0..1' },
  { option: 'controller', path: ['consent', 'controller'], kind: 'text', placeholder: 'TEXT' },
  { option: 'contact', path: ['consent', 'contact'], kind: 'text', placeholder: 'TEXT' },
];

/** Keys every camera type shares; the others are dropped when the camera type changes. */
export const COMMON_CAMERA_KEYS = ['type', 'width', 'height', 'fps', 'stallTimeoutMs', 'startTimeoutMs', 'backoff'];

/** Build the parseArgs options for every setting. */
export function settingOptions(): Record<string, { type: 'string'; multiple?: boolean }> {
  const options: Record<string, { type: 'string'; multiple?: boolean }> = {};
  for (const setting of SETTINGS) options[setting.option] = setting.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  return options;
}

// The option that creates a whole missing section: the one key of it that has no default.
const SECTION_OPTIONS: Record<string, string> = { device: 'device', camera: 'camera', door: 'relay', 'door.relay': 'relay', mqtt: 'broker', residency: 'allowed-broker' };

/** Find the setting that writes `path`, or the closest one above or below it, for hints after a rejected configuration. */
export function settingForPath(path: string): Setting | undefined {
  const exact = SETTINGS.find((setting) => setting.path.join('.') === path);
  if (exact !== undefined) return exact;
  const section = SECTION_OPTIONS[path];
  if (section !== undefined) return SETTINGS.find((setting) => setting.option === section);
  return SETTINGS.find((setting) => setting.path.join('.').startsWith(`${path}.`) || path.startsWith(`${setting.path.join('.')}.`));
}

export type ParsedValue = string | number | boolean | string[] | { chip: string; offset: number } | null;

/**
 * Turn option text into the YAML value for its kind; null means "remove". Returns an English error
 * text for the usage error when the text cannot be a value of that kind at all. Ranges and allowed
 * words are left to the configuration schema, which names the fix.
 */
export function parseSettingValue(setting: Setting, text: string | string[]): { value: ParsedValue } | { error: string } {
  if (setting.kind === 'list') {
    const items = (Array.isArray(text) ? text : [text]).flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
    return { value: items };
  }
  const raw = (Array.isArray(text) ? text.join(',') : text).trim();
  if (setting.removable !== undefined && raw.toLowerCase() === 'none') return { value: null };
  switch (setting.kind) {
    case 'integer': {
      const value = Number(raw);
      return raw !== '' && Number.isInteger(value) ? { value } : { error: `--${setting.option} must be a whole number, got "${raw}"` };
    }
    case 'number': {
      const value = Number(raw);
      return raw !== '' && Number.isFinite(value) ? { value } : { error: `--${setting.option} must be a number, got "${raw}"` };
    }
    case 'boolean':
      if (/^(true|yes|on)$/i.test(raw)) return { value: true };
      if (/^(false|no|off)$/i.test(raw)) return { value: false };
      return { error: `--${setting.option} must be true or false, got "${raw}"` };
    case 'polarity':
      if (raw === 'active-low') return { value: true };
      if (raw === 'active-high') return { value: false };
      return { error: `--${setting.option} must be active-high or active-low, got "${raw}"` };
    case 'line': {
      // `gpiochip0:17` is a chip and offset; anything else is a line name such as GPIO17.
      const match = /^([A-Za-z][A-Za-z0-9_-]*):(\d{1,4})$/.exec(raw);
      return { value: match === null ? raw : { chip: match[1]!, offset: Number(match[2]) } };
    }
    default:
      return { value: raw };
  }
}

/** Show a YAML value the way the technician would type it. */
export function formatSettingValue(setting: Setting, value: unknown): string {
  if (value === undefined || value === null) return setting.removable !== undefined ? 'none' : '';
  if (setting.kind === 'polarity') return value === true ? 'active-low' : 'active-high';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') {
    const { chip, offset } = value as { chip?: unknown; offset?: unknown };
    return `${String(chip)}:${String(offset)}`;
  }
  return String(value);
}
