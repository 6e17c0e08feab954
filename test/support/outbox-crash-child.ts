/**
 * Child process for the outbox durability test. It enqueues N sealed events into the outbox at
 * argv[2] and prints each committed seq on standard output. Then it kills itself with SIGKILL, so
 * nothing after the last commit (no close, no exit handlers, no flush) can run.
 */
import { Outbox } from '../../appliance/outbox/outbox.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { envelopeTestKeys, eventSealer } from './events.js';

const [stateDir, countText] = process.argv.slice(2);
const outbox = Outbox.open({ stateDir: stateDir!, deviceId: 'gate-01', logger: silentLogger() });
const seal = eventSealer(envelopeTestKeys());
for (let i = 0; i < Number(countText); i++) {
  const row = await outbox.enqueue({ seal });
  process.stdout.write(`${row.seq}\n`);
}
process.kill(process.pid, 'SIGKILL');
