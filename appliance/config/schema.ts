import { z } from 'zod';

import { LOCALES } from '../i18n/locale.js';
import { brokerHost, isBrokerAllowed, isValidBrokerPattern } from './residency.js';

// Every rule named here has a message and a fix in messages.ts (`rule.<name>` and `rule.<name>.fix`).
function rule(name: string, extra: Record<string, string | number> = {}): { params: Record<string, string | number> } {
  return { params: { rule: name, ...extra } };
}

// Cross-key checks run even when another key of the same object failed, so every problem is listed at once.
// They run whenever the value is an object, so each check tests the types of the values it compares.
const ALWAYS = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };

function integer(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min).max(max);
}

function fraction(min = 0, max = 1): z.ZodNumber {
  return z.number().min(min).max(max);
}

const absolutePath = z.string().refine((value) => value.startsWith('/'), rule('absolutePath'));

// Device and site ids become MQTT topic levels, so `/`, `+`, `#` and spaces are excluded.
const identifier = z.string().refine((value) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value), rule('identifier'));

/** A GPIO line: its name from the board's device tree (`GPIO17` on a Raspberry Pi, `PQ.05` on a Jetson) or chip and offset. */
export const gpioLineSchema = z
  .union([
    z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
    z.strictObject({
      chip: z.string().min(1).describe('GPIO chip name, such as gpiochip0.'),
      offset: integer(0, 1023).describe('Line offset within the chip.'),
    }),
  ])
  .meta({ rule: 'gpioLine' });

const backoffSchema = z
  .strictObject({
    initialMs: integer(100, 60_000).default(1_000).describe('Delay before the first restart after a failure.'),
    maxMs: integer(1_000, 600_000).default(30_000).describe('Longest delay; each failure in a row doubles the delay up to this.'),
    healthyAfterMs: integer(1_000, 3_600_000)
      .default(60_000)
      .describe('A run that delivers frames for this long resets the delay to initialMs.'),
    maxRestartsPerMinute: integer(1, 120)
      .default(10)
      .describe('Launches allowed in any 60-second window; further restarts wait.'),
  })
  .superRefine((value, ctx) => checkOrder(ctx, value, 'initialMs', 'maxMs', { allowEqual: true }), ALWAYS);

const cameraCommon = {
  width: integer(160, 1920).default(640).describe('Width of the frames handed to the pipeline, in pixels; ffmpeg scales and letterboxes.'),
  height: integer(120, 1080).default(480).describe('Height of the frames handed to the pipeline, in pixels.'),
  fps: integer(1, 60)
    .default(15)
    .describe('Frame rate requested from the device, or the rate a stream or file is reduced to, or the slideshow rate of a folder.'),
  stallTimeoutMs: integer(500, 120_000)
    .default(5_000)
    .describe('After frames have flowed, a gap this long counts as a stall: the subprocess is killed and restarted.'),
  startTimeoutMs: integer(1_000, 300_000)
    .default(15_000)
    .describe('A launch that delivers no first frame within this time is killed and restarted.'),
  backoff: backoffSchema.prefault({}).describe('Restart pacing after a camera failure.'),
};

const captureSize = {
  captureWidth: integer(160, 4096)
    .optional()
    .describe('Width requested from the sensor or device, when it differs from width. Unset: width.'),
  captureHeight: integer(120, 3072)
    .optional()
    .describe('Height requested from the sensor or device, when it differs from height. Unset: height.'),
};

export const cameraSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z.literal('v4l2').describe('USB or other V4L2 camera.'),
        device: absolutePath.default('/dev/video0').describe('Video device node.'),
        inputFormat: z
          .enum(['mjpeg', 'yuyv422'])
          .default('mjpeg')
          .describe('Pixel format requested from the device; mjpeg reaches higher frame rates over USB 2.'),
        ...captureSize,
        ...cameraCommon,
      })
      .describe('USB camera through Video4Linux2.'),
    z
      .strictObject({
        type: z.literal('rtsp').describe('IP camera stream over RTSP.'),
        url: z
          .string()
          .refine((value) => /^rtsps?:\/\/[^\s/]+/i.test(value), rule('rtspUrl'))
          .describe('rtsp:// or rtsps:// address, credentials included if the camera needs them; logs never show them.'),
        ...cameraCommon,
      })
      .describe('IP camera over RTSP, interleaved over TCP.'),
    z
      .strictObject({
        type: z.literal('http').describe('MJPEG stream over HTTP.'),
        url: z
          .string()
          .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), rule('httpUrl'))
          .describe('http:// or https:// address of a multipart MJPEG stream; logs never show credentials.'),
        ...cameraCommon,
      })
      .describe('MJPEG stream over HTTP.'),
    z
      .strictObject({
        type: z.literal('file').describe('Video file played in real time.'),
        path: absolutePath.describe('Video file, played at its own pace.'),
        loop: z.boolean().default(false).describe('Start again at the end; otherwise the source ends.'),
        ...cameraCommon,
      })
      .describe('Video file, for demonstrations and tests.'),
    z
      .strictObject({
        type: z.literal('folder').describe('Folder of images shown as a slideshow.'),
        path: absolutePath.describe('Folder of .jpg, .jpeg or .png images (one format per folder), shown in natural name order at fps images per second.'),
        loop: z.boolean().default(false).describe('Start again after the last image; otherwise the source ends.'),
        ...cameraCommon,
      })
      .describe('Image folder as a slideshow, for demonstrations and enrolment tests.'),
    z
      .strictObject({
        type: z.literal('rpicam').describe('Raspberry Pi CSI camera through rpicam-vid.'),
        cameraIndex: integer(0, 7).default(0).describe('Camera number as listed by rpicam-hello --list-cameras.'),
        codec: z
          .enum(['yuv420', 'mjpeg'])
          .default('yuv420')
          .describe('yuv420 pipes raw frames (no encode or decode); mjpeg costs a JPEG encode and decode but works with any capture width.'),
        hflip: z.boolean().default(false).describe('Mirror the picture horizontally.'),
        vflip: z.boolean().default(false).describe('Flip the picture vertically.'),
        ...captureSize,
        ...cameraCommon,
      })
      .describe('Raspberry Pi CSI camera.'),
  ])
  .superRefine((camera, ctx) => {
    if (camera.type !== 'rpicam' || camera.codec !== 'yuv420') return;
    const captureWidth = camera.captureWidth ?? camera.width;
    // rpicam-vid writes YUV420 buffers with their row stride; a width that is a multiple of 64 has no row padding.
    if (typeof captureWidth === 'number' && captureWidth % 64 !== 0) {
      const key = camera.captureWidth === undefined ? 'width' : 'captureWidth';
      ctx.addIssue({ code: 'custom', path: [key], message: 'yuv420 width', ...rule('yuv420Width', { width: captureWidth }) });
    }
  }, ALWAYS);

const visionSchema = z
  .strictObject({
    minDetectionScore: fraction(0.05, 0.99).default(0.6).describe('Face detector confidence below which a detection is ignored.'),
    minEyeDistancePx: integer(8, 400)
      .default(32)
      .describe('Distance between the eye centres in the frame; smaller faces are too far away to match reliably.'),
    minSharpness: z
      .number()
      .min(0)
      .max(10_000)
      .default(50)
      .describe('Variance of the Laplacian of the aligned 112×112 grey crop; below it the face counts as blurred.'),
    pose: z
      .strictObject({
        maxYawDeg: integer(0, 90).default(30).describe('Largest head turn left or right.'),
        maxPitchDeg: integer(0, 90).default(25).describe('Largest head tilt up or down.'),
        maxRollDeg: integer(0, 90).default(25).describe('Largest head tilt towards a shoulder.'),
      })
      .prefault({})
      .describe('Head pose limits, in degrees from facing the camera.'),
    brightness: z
      .strictObject({
        min: integer(0, 255).default(40).describe('Lowest mean luma of the face crop (0–255).'),
        max: integer(0, 255).default(220).describe('Highest mean luma of the face crop (0–255).'),
      })
      .prefault({})
      .superRefine((value, ctx) => checkOrder(ctx, value, 'min', 'max'), ALWAYS)
      .describe('Exposure limits for the face crop.'),
    minFeatureNorm: z
      .number()
      .min(0)
      .max(20)
      .default(2.25)
      .describe('Length of the face model\'s output before normalising; below it the crop does not read as an upright face (for example a face turned 90 degrees). Upright LFW faces measure 2.30 to 4.7.'),
    livenessThreshold: fraction()
      .default(0.5)
      .describe('Liveness score at or above which a face counts as live; lower scores are treated as a spoof. Live faces score 0.72 to 0.99 and print or replay attacks 0.09 or less on the shared spoof samples.'),
    workerThreads: integer(1, 4).default(1).describe('Inference worker threads; more than one only helps on boards with spare cores.'),
  })
  .describe('Face detection, quality gate and liveness.');

const matchingSchema = z
  .strictObject({
    targetFpir: fraction(0.000_001, 0.1)
      .default(0.01)
      .describe('Target false-positive identification rate; the calibration turns it into a score threshold.'),
    minMargin: fraction(0, 1).default(0.05).describe('Smallest score gap between the best and the second-best enrolled subject.'),
    calibrationFile: absolutePath.optional().describe('JSON file with the impostor score calibration for this model. Optional.'),
  })
  .describe('Gallery matching.');

const decisionSchema = z
  .strictObject({
    votesRequired: integer(1, 15).default(3).describe('Matching frames of one track needed before access is granted.'),
    trackTimeoutMs: integer(100, 30_000).default(1_500).describe('A track ends when its face has not been seen for this long.'),
    debounceMs: integer(0, 86_400_000)
      .default(60_000)
      .describe('After a decision, the same subject is not recorded again for this long.'),
    maxTrackAgeMs: integer(1_000, 300_000)
      .default(15_000)
      .describe('A track older than this is closed and a new one begins, so a loitering face is decided again.'),
  })
  .superRefine((value, ctx) => checkOrder(ctx, value, 'trackTimeoutMs', 'maxTrackAgeMs'), ALWAYS)
  .describe('Voting across the frames of a track.');

const doorSchema = z
  .strictObject({
    gpio: z
      .strictObject({
        type: z
          .enum(['chardev', 'sysfs', 'simulated'])
          .default('chardev')
          .describe('chardev: Linux GPIO character device (libgpiod); sysfs: legacy /sys/class/gpio for old kernels; simulated: no hardware, only when set here.'),
        chip: z.string().min(1).optional().describe('Look up line names on this chip only (chardev), such as gpiochip0. Unset: search every chip.'),
        sysfsRoot: absolutePath.optional().describe('Root of the sysfs GPIO tree (sysfs only). Unset: /sys/class/gpio.'),
      })
      .prefault({})
      .superRefine((gpio, ctx) => {
        if (gpio.chip !== undefined && gpio.type !== 'chardev') {
          ctx.addIssue({ code: 'custom', path: ['chip'], message: 'chip', ...rule('onlyWith', { other: 'door.gpio.type', value: 'chardev' }) });
        }
        if (gpio.sysfsRoot !== undefined && gpio.type !== 'sysfs') {
          ctx.addIssue({ code: 'custom', path: ['sysfsRoot'], message: 'sysfsRoot', ...rule('onlyWith', { other: 'door.gpio.type', value: 'sysfs' }) });
        }
      }, ALWAYS)
      .describe('GPIO driver.'),
    relay: z
      .strictObject({
        line: gpioLineSchema.describe('Line that drives the lock relay.'),
        activeLow: z.boolean().default(false).describe('The relay energises when the line is low.'),
        pulseMs: integer(100, 60_000).default(3_000).describe('How long the relay stays energised for one opening.'),
      })
      .describe('Lock relay; de-energised means locked.'),
    leds: z
      .strictObject({
        green: gpioLineSchema.optional().describe('Access granted.'),
        red: gpioLineSchema.optional().describe('Access denied.'),
        amber: gpioLineSchema.optional().describe('Working, fallback to PIN or badge, or fault.'),
        activeLow: z.boolean().default(false).describe('The LEDs light when their line is low.'),
      })
      .prefault({})
      .describe('Indicator LEDs; each one is optional.'),
    buzzer: z
      .strictObject({
        line: gpioLineSchema.describe('Line that drives the buzzer.'),
        activeLow: z.boolean().default(false).describe('The buzzer sounds when the line is low.'),
      })
      .optional()
      .describe('Buzzer. Optional.'),
    exitButton: z
      .strictObject({
        line: gpioLineSchema.describe('Input line of the request-to-exit button.'),
        activeLow: z.boolean().default(true).describe('The button pulls the line low when pressed (pull-up wiring).'),
        debounceMs: integer(5, 1_000).default(50).describe('Presses shorter than this are ignored.'),
      })
      .optional()
      .describe('Request-to-exit button. Optional.'),
    doorContact: z
      .strictObject({
        line: gpioLineSchema.describe('Input line of the door contact.'),
        openLevel: z.enum(['high', 'low']).default('high').describe('Line level that means the door is open.'),
      })
      .optional()
      .describe('Door position contact, needed for the held-open alarm. Optional.'),
    heldOpenMs: integer(1_000, 600_000)
      .default(30_000)
      .describe('A door open for longer than this raises the held-open alarm; must exceed relay.pulseMs.'),
  })
  .superRefine((door, ctx) => {
    const pulseMs = door.relay?.pulseMs;
    if (typeof pulseMs === 'number' && typeof door.heldOpenMs === 'number' && pulseMs >= door.heldOpenMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['relay', 'pulseMs'],
        message: 'pulse exceeds held-open',
        ...rule('pulseExceedsHeldOpen', { pulseMs, heldOpenMs: door.heldOpenMs }),
      });
    }
    checkLinesDistinct(ctx, door);
  }, ALWAYS)
  .describe('Door relay, LEDs, buzzer and inputs.');

const mqttSchema = z
  .strictObject({
    url: z
      .string()
      .refine(isMqttsUrl, rule('mqttsUrl'))
      .refine((value) => !/^[a-z]+:\/\/[^/]*@/i.test(value), rule('mqttCredentials'))
      .describe('Broker address, mqtts://host:port; the device authenticates with its client certificate.'),
    caFile: absolutePath.optional().describe('CA certificate that signed the broker certificate. Unset: `<stateDir>/tls/ca.pem`.'),
    certFile: absolutePath.optional().describe('Device client certificate. Unset: `<stateDir>/tls/client.crt`.'),
    keyFile: absolutePath.optional().describe('Device client private key. Unset: `<stateDir>/tls/client.key`.'),
    keepaliveS: integer(5, 1_200).default(30).describe('MQTT keepalive interval, in seconds.'),
    sessionExpiryS: integer(0, 7 * 86_400)
      .default(86_400)
      .describe('Seconds the broker keeps the device\'s session while it is offline, so operator commands sent meanwhile arrive when it reconnects; commands expire after at most 24 h anyway. 0 ends the session with each connection.'),
    backoffMinMs: integer(100, 60_000).default(1_000).describe('First reconnect delay after the connection drops.'),
    backoffMaxMs: integer(1_000, 3_600_000).default(60_000).describe('Longest reconnect delay.'),
    drainRatePerS: integer(1, 1_000).default(50).describe('Outbox events published per second at most while catching up.'),
    telemetryIntervalS: integer(5, 3_600).default(60).describe('Seconds between telemetry messages.'),
  })
  .superRefine((value, ctx) => checkOrder(ctx, value, 'backoffMinMs', 'backoffMaxMs', { allowEqual: true }), ALWAYS)
  .describe('Connection to the fleet broker (MQTT 5 over mutual TLS).');

const residencySchema = z
  .strictObject({
    allowedBrokers: z
      .array(z.string().refine(isValidBrokerPattern, rule('brokerPattern')))
      .min(1)
      .describe('Broker hosts the device may connect to: exact host names or IP addresses, or *.domain for any host below domain.'),
  })
  .describe('Data-residency policy; the daemon rejects an mqtt.url whose host is not listed.');

const outboxSchema = z
  .strictObject({
    maxPending: integer(1_000, 10_000_000)
      .default(100_000)
      .describe('Most undelivered events kept in the outbox.'),
    pruneDeliveredAfterH: integer(1, 8_760).default(168).describe('Delivered events are deleted after this many hours.'),
  })
  .describe('Durable event outbox in SQLite.');

const keysSchema = z
  .strictObject({
    deviceKeyFile: absolutePath
      .optional()
      .describe('Device Ed25519 signing key (PEM). Unset: `<stateDir>/keys/device-signing-key.pem`.'),
    fleetPublicKeyFile: absolutePath
      .optional()
      .describe('Fleet public key that events are encrypted to (PEM). Unset: `<stateDir>/keys/fleet-public-key.pem`.'),
    operatorKeysDir: absolutePath
      .optional()
      .describe(
        'Folder of the operator Ed25519 public keys that may sign remote commands, one `<operator>.public.pem` file per operator; the file name is the operator name. Unset: `<stateDir>/keys/operators`, where a missing folder means no operator.',
      ),
    operatorKeyFiles: z
      .array(absolutePath)
      .max(64)
      .optional()
      .describe('Further operator public key files, named like those in operatorKeysDir. Unset: none.'),
  })
  .describe('Keys for signing and sealing events, and the operator keys that sign remote commands.');

const commandsSchema = z
  .strictObject({
    clockSkewS: integer(0, 3_600)
      .default(120)
      .describe('Seconds the operator\'s clock may differ from the device\'s: a command is accepted from issuedAt minus this until expiresAt plus this.'),
    maxLifetimeS: integer(60, 86_400)
      .default(86_400)
      .describe('Maximum validity (expiresAt − issuedAt), in seconds, of a command this device accepts; the wire format allows at most 24 h.'),
  })
  .describe('Remote commands from operators on the `cmd/<name>` topics; docs/commands.md describes them.');

const consentSchema = z
  .strictObject({
    controller: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Data controller named on the consent forms: the employer or site operator. Required before consent can be recorded.'),
    contact: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('How workers reach the controller about their data (e-mail, phone or office), printed on the consent forms.'),
    retentionDays: integer(1, 365)
      .default(30)
      .describe('Days within which templates of a worker who withdrew or left the roster are destroyed; stated on the consent forms.'),
    withdrawalCheckS: integer(1, 50)
      .default(10)
      .describe('Seconds between the daemon\'s checks for withdrawn consent; a withdrawn worker leaves the matcher within this time.'),
  })
  .describe('Consent to facial recognition: who the forms name, and how soon a withdrawal takes effect.');

const kioskSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Serve the enrolment and consent kiosk on the LAN.'),
    host: z.string().min(1).default('0.0.0.0').describe('Address the kiosk listens on; 0.0.0.0 for every IPv4 interface.'),
    port: integer(1, 65_535).default(8443).describe('TCP port of the kiosk (HTTPS).'),
    certFile: absolutePath.optional().describe('PEM certificate the kiosk serves; it must allow server authentication. Unset: mqtt.certFile, which the site CA usually issues for client authentication only.'),
    keyFile: absolutePath.optional().describe('PEM private key of certFile. Unset: mqtt.keyFile.'),
    publicUrl: z
      .string()
      .refine(isBaseHttpsUrl)
      .optional()
      .describe('Address in the QR code that moves a consent to the worker\'s phone: https://HOST:PORT, no path, with a HOST the phones reach and the kiosk certificate names. Unset: https://host:port, or the device\'s first LAN IPv4 address when host is 0.0.0.0 or ::.'),
    captureFrames: integer(2, 30)
      .default(5)
      .describe('Good frames a face capture needs: each passes the quality gate and liveness, all show the same person, and together they span at least 1 s.'),
    captureTimeoutS: integer(10, 600)
      .default(60)
      .describe('Seconds a face capture may take, and a duplicate warning may wait for the technician, before the enrolment is cancelled.'),
  })
  .describe('LAN kiosk where technicians start enrolments and workers give or withdraw consent.');

const fallbackSchema = z
  .strictObject({
    keypadDevice: absolutePath.optional().describe('PIN keypad that types like a keyboard: its input device, e.g. /dev/input/by-id/…-event-kbd.'),
    badgeDevice: absolutePath.optional().describe('USB badge reader that types the badge number like a keyboard: its input device.'),
    wiegand: z
      .strictObject({
        d0: gpioLineSchema.describe('GPIO input wired to the reader\'s DATA0 line.'),
        d1: gpioLineSchema.describe('GPIO input wired to the reader\'s DATA1 line.'),
      })
      .optional()
      .describe('Wiegand badge reader on two GPIO inputs (26- or 34-bit frames, parity checked).'),
  })
  .describe('PIN and badge entry for workers who do not use their face; unset inputs are not read.');

export const configSchema = z
  .strictObject({
    device: z
      .strictObject({
        id: identifier.describe('Device id, unique in the fleet; letters, digits, - and _, up to 64.'),
        site: identifier.describe('Site id; letters, digits, - and _, up to 64.'),
        direction: z.enum(['in', 'out']).describe('Whether people pass this device to clock in or to clock out.'),
        locale: z.enum(LOCALES).default('zh-Hant').describe('Language of the screen, voice prompts and worker messages.'),
        timezone: z.literal('+08:00').default('+08:00').describe('UTC offset of event wall times; fixed to Macau time.'),
      })
      .describe('Identity of this device.'),
    stateDir: absolutePath
      .default('/var/lib/facegate')
      .describe('Folder for the database, gallery, keys and certificates; owned by the facegate user.'),
    modelsDir: absolutePath.optional().describe('Folder of the ONNX model files. Unset: the models folder of the installation.'),
    camera: cameraSchema.describe('Camera source; the keys allowed depend on type.'),
    vision: visionSchema.prefault({}),
    matching: matchingSchema.prefault({}),
    decision: decisionSchema.prefault({}),
    door: doorSchema,
    mqtt: mqttSchema,
    residency: residencySchema,
    outbox: outboxSchema.prefault({}),
    keys: keysSchema.prefault({}),
    commands: commandsSchema.prefault({}),
    consent: consentSchema.prefault({}),
    kiosk: kioskSchema.prefault({}),
    fallback: fallbackSchema.prefault({}),
    log: z
      .strictObject({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
          .default('info')
          .describe('Lowest level written to the journal; debug adds per-frame detail.'),
      })
      .prefault({})
      .describe('Logging.'),
  })
  .superRefine((config, ctx) => {
    const url = config.mqtt?.url;
    const allowed = config.residency?.allowedBrokers;
    if (typeof url !== 'string' || !Array.isArray(allowed) || !isMqttsUrl(url)) return;
    if (!allowed.every((pattern) => typeof pattern === 'string' && isValidBrokerPattern(pattern))) return;
    const host = brokerHost(url);
    if (host !== undefined && !isBrokerAllowed(host, allowed)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mqtt', 'url'],
        message: 'broker outside residency policy',
        ...rule('brokerNotAllowed', { host, allowed: allowed.join(', ') }),
      });
    }
  }, ALWAYS);

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type CameraConfig = ParsedConfig['camera'];
export type V4l2CameraConfig = Extract<CameraConfig, { type: 'v4l2' }>;
export type RtspCameraConfig = Extract<CameraConfig, { type: 'rtsp' }>;
export type HttpCameraConfig = Extract<CameraConfig, { type: 'http' }>;
export type FileCameraConfig = Extract<CameraConfig, { type: 'file' }>;
export type FolderCameraConfig = Extract<CameraConfig, { type: 'folder' }>;
export type RpicamCameraConfig = Extract<CameraConfig, { type: 'rpicam' }>;
export type GpioLine = z.output<typeof gpioLineSchema>;

function isBaseHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '' && !value.endsWith('?') && !value.endsWith('#');
  } catch {
    return false;
  }
}

function isMqttsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'mqtts:' && url.hostname !== '';
}

function checkOrder<T extends object>(
  ctx: z.RefinementCtx,
  value: T,
  lowKey: keyof T & string,
  highKey: keyof T & string,
  options: { allowEqual?: boolean } = {},
): void {
  const low = value[lowKey];
  const high = value[highKey];
  if (typeof low !== 'number' || typeof high !== 'number') return;
  const wrong = options.allowEqual === true ? low > high : low >= high;
  if (wrong) {
    ctx.addIssue({
      code: 'custom',
      path: [lowKey],
      message: `${lowKey} not below ${highKey}`,
      ...rule(options.allowEqual === true ? 'orderAtMost' : 'orderBelow', { low, high, lowKey, highKey }),
    });
  }
}

// Two signals on one line would fight each other (or read back an output as an input).
function checkLinesDistinct(ctx: z.RefinementCtx, door: Record<string, unknown>): void {
  const uses: Array<{ path: (string | number)[]; line: unknown }> = [];
  const relay = door.relay as { line?: unknown } | undefined;
  if (relay?.line !== undefined) uses.push({ path: ['relay', 'line'], line: relay.line });
  const leds = door.leds as Record<string, unknown> | undefined;
  for (const colour of ['green', 'red', 'amber']) {
    if (leds?.[colour] !== undefined) uses.push({ path: ['leds', colour], line: leds[colour] });
  }
  for (const section of ['buzzer', 'exitButton', 'doorContact']) {
    const line = (door[section] as { line?: unknown } | undefined)?.line;
    if (line !== undefined) uses.push({ path: [section, 'line'], line });
  }

  const seen = new Map<string, string>();
  for (const use of uses) {
    const key = lineKey(use.line);
    if (key === undefined) continue;
    const where = ['door', ...use.path].join('.');
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, where);
      continue;
    }
    ctx.addIssue({ code: 'custom', path: use.path, message: 'line reused', ...rule('lineReused', { line: key, first }) });
  }
}

function lineKey(line: unknown): string | undefined {
  if (typeof line === 'string') return line.toUpperCase();
  if (typeof line === 'object' && line !== null) {
    const { chip, offset } = line as { chip?: unknown; offset?: unknown };
    if (typeof chip === 'string' && typeof offset === 'number') return `${chip}:${offset}`;
  }
  return undefined;
}
