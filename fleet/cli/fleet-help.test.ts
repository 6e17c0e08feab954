import { describe, expect, it } from 'vitest';

import { LOCALES } from '../../appliance/i18n/locale.js';
import { fleetCommand } from './fleet.js';

describe('fleet help', () => {
  it.each(LOCALES)('names scaling, keys and stopping in %s', (locale) => {
    const help = fleetCommand.help[locale];
    for (const term of ['shareGroup', 'PostgreSQL', 'docs/fleet.md', 'SIGTERM', 'Ctrl-C']) expect(help, term).toContain(term);
  });
});
