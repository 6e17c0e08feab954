import { describe, expect, it } from 'vitest';

import { credentialRedactor, redactUrlCredentials } from './redact.js';

describe('redactUrlCredentials', () => {
  it('removes user-info from URLs', () => {
    expect(redactUrlCredentials("Input #0, rtsp, from 'rtsp://admin:s3cret@192.0.2.1:554/live':")).toBe(
      "Input #0, rtsp, from 'rtsp://***@192.0.2.1:554/live':",
    );
    expect(redactUrlCredentials('http://viewer@cam/mjpeg and http://cam/ok')).toBe('http://***@cam/mjpeg and http://cam/ok');
  });
});

describe('credentialRedactor', () => {
  it('removes the bare password too', () => {
    const redact = credentialRedactor('rtsp://admin:p%40ss%21word@192.0.2.1/live');

    expect(redact('auth failed for p@ss!word')).toBe('auth failed for ***');
    expect(redact('auth failed for p%40ss%21word')).toBe('auth failed for ***');
    expect(redact('rtsp://admin:p%40ss%21word@192.0.2.1/live')).toBe('rtsp://***@192.0.2.1/live');
  });

  it('keeps text without credentials', () => {
    expect(credentialRedactor('rtsp://192.0.2.1/live')('Connection refused')).toBe('Connection refused');
  });
});
