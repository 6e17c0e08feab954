import fs from 'node:fs';

import { parseCommandArgs } from '../../appliance/cli/args.js';
import { EXIT, UsageError } from '../../appliance/cli/context.js';
import { importRosterFile } from '../roster/import.js';
import { RosterStore } from '../roster/store.js';
import { consentTrack } from '../roster/worker.js';
import { TARGET_OPTIONS, locateDevice } from './device.js';
import { printer, type ProvisionIo } from './io.js';
import { rosterMessages } from './messages/roster.js';
import { formatTable } from './table.js';

/** `provision roster import FILE.csv [--replace]` and `provision roster list [--json]`. */
export async function runRoster(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'provision',
    argv,
    { ...TARGET_OPTIONS, replace: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    true,
  );
  const [action, file, ...extra] = positionals;
  if (action === 'import' && (file === undefined || extra.length > 0)) throw new UsageError('provision', 'roster import takes exactly one CSV file');
  if (action === 'list' && file !== undefined) throw new UsageError('provision', 'roster list takes no file');
  if (action !== 'import' && action !== 'list') throw new UsageError('provision', 'roster needs "import FILE.csv" or "list"');

  const { paths } = locateDevice(io, values);
  const out = printer(io, rosterMessages);
  if (action === 'import') {
    const result = importRosterFile({ file: file!, stateDir: paths.stateDir, logger: io.logger, now: io.now(), replace: values.replace });
    out.say('roster.imported', { file: file!, ...result });
    out.say('roster.total', { count: result.total });
    return EXIT.ok;
  }

  if (!fs.existsSync(paths.rosterDb)) {
    if (values.json) out.raw('[]');
    else out.say('roster.empty');
    return EXIT.ok;
  }
  const store = RosterStore.open({ stateDir: paths.stateDir, logger: io.logger });
  try {
    const workers = store.list();
    if (values.json) {
      out.raw(JSON.stringify(workers.map((worker) => ({ ...worker, consent: consentTrack(worker.domicile) }))));
    } else if (workers.length === 0) {
      out.say('roster.empty');
    } else {
      const rows = workers.map((worker) => {
        const track = consentTrack(worker.domicile);
        const consent = out.t(`consent.${track.law}`, { language: out.t(`language.${track.formLocale}`) });
        return [worker.workerId, worker.displayName, out.t(`domicile.${worker.domicile}`), consent];
      });
      out.raw(formatTable([out.t('column.worker'), out.t('column.name'), out.t('column.domicile'), out.t('column.consent')], rows));
      out.say('roster.total', { count: workers.length });
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}
