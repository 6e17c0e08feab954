import { describe, expect, it } from 'vitest';
import { INPUT_EVENT_BYTES, KeyboardLineDecoder, encodeTyping } from './hid.js';

describe('KeyboardLineDecoder', () => {
  it('returns the typed line at Enter', () => {
    const decoder = new KeyboardLineDecoder();
    expect(decoder.push(encodeTyping('0012345678'))).toEqual(['0012345678']);
  });

  it('joins records split across chunks', () => {
    const decoder = new KeyboardLineDecoder();
    const bytes = Buffer.concat([encodeTyping('42'), encodeTyping('987')]);
    const lines: string[] = [];
    for (let offset = 0; offset < bytes.length; offset += 7) lines.push(...decoder.push(bytes.subarray(offset, offset + 7)));
    expect(lines).toEqual(['42', '987']);
  });

  it('clears the entry on Escape', () => {
    const decoder = new KeyboardLineDecoder();
    const escape = Buffer.alloc(INPUT_EVENT_BYTES);
    escape.writeUInt16LE(1, 16);
    escape.writeUInt16LE(1, 18);
    escape.writeInt32LE(1, 20);
    const typed = encodeTyping('55');
    const withoutEnter = typed.subarray(0, typed.length - 2 * INPUT_EVENT_BYTES);
    expect(decoder.push(Buffer.concat([withoutEnter, escape, encodeTyping('77')]))).toEqual(['77']);
  });

  it('ignores Enter without digits', () => {
    const decoder = new KeyboardLineDecoder();
    const typed = encodeTyping('');
    expect(decoder.push(typed)).toEqual([]);
  });
});
