import { silentLogger } from '../common/logger.js';
import { recordStandalone } from './standalone.js';

// Test helper: appends `count` enrolment entries from a process of its own, as `facegate enroll` does.
const [stateDir, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i++) {
  const entry = await recordStandalone(
    stateDir!,
    { actor: { kind: 'technician', id: 'tech.child' }, action: 'enrolment.add', object: { kind: 'subject', id: `worker-${i}` }, outcome: 'success' },
    silentLogger(),
  );
  if (entry === undefined) process.exit(3);
}
