import type { GateDecision } from '../decision/types.js';
import type { OutboxRow } from '../outbox/outbox.js';
import type { AttendanceEvent } from '../../protocol/event.js';

/** Events the running daemon emits to its owner (the run command, tests, the benchmark). */
export interface DaemonEvents {
  /** READY=1 was due: the vision worker is warm and the camera delivered a frame. */
  ready: { startupMs: number };
  /** One frame went through the worker and the decider. */
  analysed: { seq: number; faces: number; latencyMs: number };
  /** A track was decided and the door acted on it. */
  decision: { decision: GateDecision; subject: string | null; doorActuated: boolean; relayLatencyMs?: number };
  /** An attendance event is durable in the outbox. */
  committed: { row: OutboxRow; event: AttendanceEvent };
  /** A finite camera input (a video file without loop) has ended. */
  'input-ended': Record<string, never>;
}
