import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../test/helpers/cli.js';
import { provisionTestDevice } from '../../test/helpers/device-state.js';
import { lfwPhoto, makeTempDir } from '../../test/helpers/faces.js';
import { EXIT } from './context.js';

let stateDir: string;

/** Remove quoted commands, options and paths, which stay in English in every locale. */
function prose(text: string): string {
  return text
    .replace(/`[^`]*`|"[^"]*"|「[^」]*」|“[^”]*”/g, ' ')
    .replace(/(^|\s)(--?[\w-]+|\/[\w./-]+)/g, ' ');
}

/** Return the three-word sequences of the English prose in `text`, in lower case. */
function englishTrigrams(text: string): string[] {
  const words = prose(text).toLowerCase().match(/[a-z']+/g) ?? [];
  return words.slice(2).map((word, index) => `${words[index]} ${words[index + 1]} ${word}`);
}

const SCENARIOS: Array<{ name: string; argv: () => string[]; exit: number }> = [
  {
    name: 'consent missing',
    argv: () => ['enroll', '--subject', 'w300', '--photo', lfwPhoto('al_gore'), '--state', stateDir],
    exit: EXIT.failed,
  },
  {
    name: 'roster missing',
    argv: () => ['consent', 'grant', '--subject', 'w999', '--witness', 'tech.lei', '--controller', 'Obras Lda.', '--contact', 'dpo@example.test', '--accept-face-recognition', '--state', stateDir],
    exit: EXIT.failed,
  },
  { name: 'unknown option', argv: () => ['consent', 'grant', '--camera-loop', '--state', stateDir], exit: EXIT.usage },
];

beforeAll(() => {
  stateDir = makeTempDir('localised-errors');
  provisionTestDevice(stateDir, [{ workerId: 'w300', displayName: 'Ana Costa', domicile: 'other' }]);
});

afterAll(() => {
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe.each(SCENARIOS)('$name error', ({ argv, exit }) => {
  it.each(['zh-Hant', 'pt'])('prints no English sentence in %s', async (locale) => {
    const english = await runCli([...argv(), '--lang', 'en', '--log-level', 'silent']);
    const localised = await runCli([...argv(), '--lang', locale, '--log-level', 'silent']);

    expect(english.code).toBe(exit);
    expect(localised.code).toBe(exit);
    expect(localised.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    const trigrams = englishTrigrams(english.stderr);
    expect(trigrams.length).toBeGreaterThan(3);
    const localisedProse = prose(localised.stderr).toLowerCase();
    for (const trigram of trigrams) expect(localisedProse, `"${trigram}" in ${locale}`).not.toContain(trigram);
    if (locale === 'zh-Hant') expect(prose(localised.stderr)).not.toMatch(/[A-Za-z]+\s+[A-Za-z]+\s+[A-Za-z]+/);
  });
});

describe('option errors', () => {
  it('names the option and points to --help', async () => {
    const run = await runCli(['consent', 'grant', '--config', '--lang', 'pt', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('a opção --config precisa de um valor');
    expect(run.stderr).toContain('facegate consent --help');
  });

  it('explains an ambiguous value in zh-Hant', async () => {
    const run = await runCli(['consent', 'grant', '--subject', '--witness', 'x', '--lang', 'zh-Hant', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('選項 --subject 需要一個值');
    expect(run.stderr).toContain('--subject=值');
  });
});

describe('configuration errors', () => {
  it('prints the fix once in zh-Hant', async () => {
    const missing = path.join(stateDir, 'absent.yaml');
    const run = await runCli(['consent', 'grant', '--subject', 'w300', '--witness', 'tech.lei', '--config', missing, '--lang', 'zh-Hant', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.setup);
    expect(run.stderr).toContain('找不到設定檔');
    expect(run.stderr.split('facegate provision configure')).toHaveLength(2);
    expect(run.stderr).not.toContain('處理方法');
  });
});
