import { describe, expect, it } from 'vitest';

import { runCli } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

// Each command stops at the missing option before it reads any state, so no device is provisioned.
const CASES = [
  {
    name: 'consent grant without --witness',
    argv: ['consent', 'grant', '--subject', 'w100'],
    chinese: 'grant 需要 --witness 姓名，即見證員工表示同意的技術人員',
    english: 'grant needs --witness NAME, the technician who saw the worker consent',
  },
  {
    name: 'fleet serve without --config',
    argv: ['fleet', 'serve'],
    chinese: 'serve 需要 --config 檔案',
    english: 'serve needs --config FILE',
  },
  {
    name: 'enroll with too many photos',
    argv: ['enroll', '--subject', 'w100', ...Array.from({ length: 21 }, (_, i) => ['--photo', `p${i}.jpg`]).flat()],
    chinese: '每次登記最多 20 個 --photo 檔案，收到 21 個',
    english: 'at most 20 --photo files per enrolment, got 21',
  },
];

describe('usage errors in zh-Hant', () => {
  it.each(CASES)('$name', async ({ argv, chinese, english }) => {
    const run = await runCli(['--lang', 'zh-Hant', '--log-level', 'silent', ...argv]);

    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(chinese);
    expect(run.stderr).not.toContain(english);
  });

  it.each(CASES)('$name keeps English under --lang en', async ({ argv, english }) => {
    const run = await runCli(['--lang', 'en', '--log-level', 'silent', ...argv]);

    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(english);
  });
});
