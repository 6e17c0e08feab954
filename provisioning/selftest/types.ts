import type { MessageParams } from '../../appliance/i18n/translate.js';
import type { SelftestMessageKey } from '../cli/messages/selftest.js';

export type CheckId =
  | 'gpio'
  | 'relay'
  | 'led.green'
  | 'led.red'
  | 'led.amber'
  | 'buzzer'
  | 'exit-button'
  | 'door-contact'
  | 'models'
  | 'camera'
  | 'face'
  | 'inference'
  | 'certificate'
  | 'broker'
  | 'clock';

/** `warn` passes but deserves attention (a slow camera, a certificate that expires soon). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** A message from the self-test catalog and its parameters; localised when the table is printed. */
export interface Note {
  key: SelftestMessageKey;
  params?: MessageParams;
}

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** Finding of the check; without it the row shows the localised message of `error`. */
  detail?: Note;
  /** Advice on what to check; every failed row has one. */
  fix?: Note;
  /** The error behind a failure, when one was caught; its localised hint is printed after the fix. */
  error?: unknown;
}

/** The sections `--skip` accepts. */
export const SECTIONS = ['gpio', 'camera', 'vision', 'broker', 'clock'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * The person at the device during the self-test. In a non-interactive run there is none: outputs
 * are driven without confirmation, and inputs are driven by the test itself when GPIO is simulated.
 */
export interface Operator {
  readonly interactive: boolean;
  /** Ask a yes/no question. */
  confirm(note: Note): Promise<boolean>;
  /** Tell the technician to do something now; the check watches for the result. */
  instruct(note: Note): void;
  /** Wait until the technician is ready (press Enter). */
  ready(note: Note): Promise<void>;
}
