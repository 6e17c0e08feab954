import { describe, expect, it } from 'vitest';
import { RepeatFilter } from './repeat-filter.js';

describe('RepeatFilter', () => {
  it('logs the first of a run, then once per interval with the count held back', () => {
    let now = 0;
    const filter = new RepeatFilter(1_000, () => now);
    expect(filter.check('refused')).toEqual({ log: true, repeats: 0 });
    now = 100;
    expect(filter.check('refused').log).toBe(false);
    now = 200;
    expect(filter.check('refused').log).toBe(false);
    now = 1_200;
    expect(filter.check('refused')).toEqual({ log: true, repeats: 2 });
  });

  it('logs a different failure at once', () => {
    const filter = new RepeatFilter(60_000, () => 0);
    filter.check('refused');
    expect(filter.check('tls').log).toBe(true);
    filter.reset();
    expect(filter.check('tls').log).toBe(true);
  });
});
