import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { HttpCameraConfig, RtspCameraConfig } from '../config/schema.js';
import type { FfmpegCameraSource } from './ffmpeg.js';
import { createHttpSource, createRtspSource, httpArgs, rtspArgs } from './rtsp.js';
import { cameraConfig, colourDistance, letterboxedMean, meanRgb, recordingLogger, TEST_PHOTOS } from './testing.js';
import type { CameraFailure } from './types.js';

const USER = 'viewer';
const PASSWORD = 'Gate-S3cret-77';
const BOUNDARY = 'facegateframe';

let server: Server;
let port: number;
let jpeg: Buffer;
let photoMean: [number, number, number];
const streams = new Set<ServerResponse>();
const sources: FfmpegCameraSource[] = [];

// A multipart MJPEG server on loopback, as many IP cameras offer, with HTTP basic authentication.
beforeAll(async () => {
  jpeg = await sharp(TEST_PHOTOS[1]!).resize(320, 240, { fit: 'contain', background: '#000' }).jpeg({ quality: 90 }).toBuffer();
  photoMean = await letterboxedMean(TEST_PHOTOS[1]!);
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

  server = createServer((request, response) => {
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="camera"' }).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}` });
    streams.add(response);
    const timer = setInterval(() => {
      response.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
      response.write(jpeg);
      response.write('\r\n');
    }, 100);
    response.on('close', () => {
      clearInterval(timer);
      streams.delete(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(async () => {
  for (const response of streams) response.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function httpSource(password: string, logger = recordingLogger().logger): FfmpegCameraSource {
  const url = `http://${USER}:${password}@127.0.0.1:${port}/stream`;
  const config = cameraConfig<HttpCameraConfig>({ type: 'http', url, fps: 10 }, { backoff: { initialMs: 100, maxMs: 200 } });
  const source = createHttpSource(config, { logger });
  sources.push(source);
  return source;
}

describe('rtspArgs', () => {
  it('uses TCP transport', () => {
    const config = cameraConfig<RtspCameraConfig>({ type: 'rtsp', url: 'rtsp://admin:pw@192.0.2.7:554/h264' });
    const args = rtspArgs(config);

    expect(args.slice(args.indexOf('-rtsp_transport'), args.indexOf('-rtsp_transport') + 2)).toEqual(['-rtsp_transport', 'tcp']);
    expect(args[args.indexOf('-i') + 1]).toBe('rtsp://admin:pw@192.0.2.7:554/h264');
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^fps=15,/);
  });

  it('hides credentials in the description', () => {
    const config = cameraConfig<RtspCameraConfig>({ type: 'rtsp', url: 'rtsp://admin:pw@192.0.2.7:554/h264' });
    const source = createRtspSource(config, { logger: recordingLogger().logger });

    expect(source.description).toBe('rtsp://***@192.0.2.7:554/h264');
  });
});

describe('http camera source', () => {
  it('builds arguments for the stream URL', () => {
    const config = cameraConfig<HttpCameraConfig>({ type: 'http', url: 'http://192.0.2.8/mjpeg', fps: 5 });
    const args = httpArgs(config);

    expect(args[args.indexOf('-i') + 1]).toBe('http://192.0.2.8/mjpeg');
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^fps=5,/);
  });

  it('reads frames from an MJPEG stream', async () => {
    const source = httpSource(PASSWORD);
    await source.start();
    const frame = await source.next({ timeoutMs: 10_000 });

    expect(frame.width).toBe(640);
    expect(frame.height).toBe(480);
    expect(colourDistance(meanRgb(frame.data), photoMean)).toBeLessThan(5);
    expect(source.description).toBe(`http://***@127.0.0.1:${port}/stream`);
  });

  it('keeps the password out of every log line', async () => {
    const recorder = recordingLogger();
    const wrong = `${PASSWORD}-old`;
    const source = httpSource(wrong, recorder.logger);
    const failed = new Promise<CameraFailure>((resolve) => source.on('failure', resolve));
    await source.start();
    const failure = await failed;

    expect(failure.stderrTail.join('\n')).toContain('401');
    expect(recorder.raw.length).toBeGreaterThan(0);
    for (const line of recorder.raw) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(wrong);
    }
    expect(recorder.raw.join('\n')).toContain('***@127.0.0.1');
  });
});
