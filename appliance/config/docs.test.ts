import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { CONFIG_DOC_PATH, renderConfigDocs } from './docs.js';
import { allKeyPaths } from './schema-walk.js';
import { configSchema } from './schema.js';

describe('docs/config.md', () => {
  it('matches the schema', () => {
    // Regenerate with: npx tsx appliance/config/docs.ts --write
    expect(readFileSync(CONFIG_DOC_PATH, 'utf8')).toBe(renderConfigDocs());
  });

  it('documents every key', () => {
    const text = renderConfigDocs();
    for (const key of allKeyPaths(configSchema)) {
      // camera.type heads one section per type; chip and offset of a line are described by the line format.
      if (key === 'camera.type') {
        expect(text).toContain('### camera.type: v4l2');
        continue;
      }
      if (/\.(chip|offset)$/.test(key) && key !== 'door.gpio.chip') continue;
      const documented = text.includes(`| \`${key}\` |`) || text.includes(`\n## ${key}\n`);
      expect(documented, key).toBe(true);
    }
  });

  it('gives each key a description', () => {
    const rows = renderConfigDocs().split('\n').filter((line) => line.startsWith('| `'));
    for (const row of rows) {
      const description = row.split(' | ').pop()!.replace(/\|$/, '').trim();
      expect(description, row).not.toBe('');
    }
  });
});
