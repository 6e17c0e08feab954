import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the installed facegate tree (the folder holding package.json), for both `dist/` and source runs. */
export const PROJECT_ROOT = findProjectRoot();

function findProjectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // appliance/common in source, dist/appliance/common when compiled.
  const up = here.includes(`${path.sep}dist${path.sep}`) ? ['..', '..', '..'] : ['..', '..'];
  return path.resolve(here, ...up);
}

export const DEFAULT_STATE_DIR = '/var/lib/facegate';

export function modelsDir(): string {
  return process.env.FACEGATE_MODELS ?? path.join(PROJECT_ROOT, 'models');
}

/** Folder of the shared test photos; `FACEGATE_TEST_DATA` overrides the sibling `../shared` checkout. */
export function testDataDir(): string {
  return process.env.FACEGATE_TEST_DATA ?? path.resolve(PROJECT_ROOT, '..', 'shared');
}
