/**
 * `facegate` from source, for tests that run the daemon as its own process (SIGKILL, restarts):
 * node --import tsx test/e2e/support/daemon-child.ts run --config FILE
 */
import { main } from '../../../appliance/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
