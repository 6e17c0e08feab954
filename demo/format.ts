import type { AttendanceEvent } from '../protocol/event.js';

/** Format one attendance event as a line a person can read. */
export function describeEvent(event: AttendanceEvent, names: ReadonlyMap<string, string>): string {
  const time = event.wallTime.slice(11, 23);
  const who = event.subject === null ? '-' : `${event.subject.slice(0, 12)}… (${names.get(event.subject) ?? 'not in this gallery'})`;
  const scores = [
    event.scores.match === undefined ? undefined : `match ${event.scores.match.toFixed(3)}`,
    event.scores.margin === undefined ? undefined : `margin ${event.scores.margin.toFixed(3)}`,
    event.scores.liveness === undefined ? undefined : `liveness ${event.scores.liveness.toFixed(3)}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  return [
    `  #${String(event.seq).padEnd(3)} ${time}  ${event.decision.toUpperCase().padEnd(8)} ${event.method.padEnd(11)} ${event.direction.padEnd(3)}`,
    `door ${event.doorActuated ? 'OPENED' : 'shut  '}  subject ${who}`,
    `  [${scores || 'no scores'}; reason ${event.reason ?? '-'}; clock ${event.clock.state}]`,
  ].join('  ');
}
