import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { modelsDir } from '../common/paths.js';
import { silentLogger } from '../common/logger.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { MODEL_NAMES, loadVerifiedModel, modelVersions, readManifest, type ModelManifest } from './models.js';
import { FacePipeline } from './pipeline.js';

async function rejection(promise: Promise<unknown>): Promise<FacegateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FacegateError) return error;
    throw error;
  }
  throw new Error('expected a FacegateError, but the call succeeded');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let manifest: ModelManifest;

beforeEach(async () => {
  manifest = await readManifest();
  dir = makeTempDir('models');
  for (const name of MODEL_NAMES) {
    const file = manifest.models[name].file;
    fs.copyFileSync(path.join(modelsDir(), file), path.join(dir, file));
  }
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Flip every bit of one byte in the middle of a model file and return the file's new sha256. */
function flipByte(name: (typeof MODEL_NAMES)[number]): { file: string; actual: string } {
  const file = path.join(dir, manifest.models[name].file);
  const bytes = fs.readFileSync(file);
  const offset = bytes.length >> 1;
  bytes[offset] = bytes[offset]! ^ 0xff;
  fs.writeFileSync(file, bytes);
  return { file, actual: sha256(bytes) };
}

describe('model verification', () => {
  it('accepts untouched copies', async () => {
    for (const name of MODEL_NAMES) {
      const bytes = await loadVerifiedModel(dir, name, manifest);
      expect(sha256(bytes)).toBe(manifest.models[name].sha256);
    }
    const pipeline = await FacePipeline.create({ modelsDir: dir }, silentLogger());
    expect(pipeline.versions).toEqual(modelVersions(manifest));
    await pipeline.close();
  });

  it('rejects a model with one byte changed', async () => {
    const { file, actual } = flipByte('fr_landmark');
    const expected = manifest.models.fr_landmark.sha256;
    expect(actual).not.toBe(expected);

    const error = await rejection(FacePipeline.create({ modelsDir: dir }, silentLogger()));
    expect(error.code).toBe('model.altered');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`sha256 ${actual}`);
    expect(error.message).toContain(`expected ${expected}`);
    expect(error.hint).toContain('make setup');
    expect(error.params).toEqual({ file, expected, actual });
  });

  it('names only the altered model', async () => {
    const { file } = flipByte('fr_feature');
    const error = await rejection(FacePipeline.create({ modelsDir: dir }, silentLogger()));
    expect(error.params.file).toBe(file);
    for (const other of ['fr_detect', 'fr_landmark', 'fr_liveness'] as const) {
      expect(error.message).not.toContain(manifest.models[other].file);
    }
  });

  it('rejects a truncated model as altered', async () => {
    const file = path.join(dir, manifest.models.fr_detect.file);
    fs.truncateSync(file, 1000);
    const error = await rejection(loadVerifiedModel(dir, 'fr_detect', manifest));
    expect(error.code).toBe('model.altered');
    expect(error.params.actual).toBe(sha256(fs.readFileSync(file)));
  });

  it('rejects a missing model', async () => {
    const file = path.join(dir, manifest.models.fr_liveness.file);
    fs.rmSync(file);
    const error = await rejection(FacePipeline.create({ modelsDir: dir }, silentLogger()));
    expect(error.code).toBe('model.missing');
    expect(error.message).toContain(file);
    expect(error.hint).toContain('make setup');
    expect(error.params.expected).toBe(manifest.models.fr_liveness.sha256);
  });

  it('rejects a models folder that does not exist', async () => {
    const error = await rejection(FacePipeline.create({ modelsDir: path.join(dir, 'nowhere') }, silentLogger()));
    expect(error.code).toBe('model.missing');
    expect(error.message).toContain(path.join(dir, 'nowhere', manifest.models.fr_detect.file));
  });

  it('rejects a manifest entry without a valid hash', async () => {
    const broken = path.join(dir, 'manifest.json');
    const copy = structuredClone(manifest) as ModelManifest;
    copy.models.fr_feature.sha256 = 'not-a-hash';
    fs.writeFileSync(broken, JSON.stringify(copy));
    const error = await rejection(readManifest(broken));
    expect(error.code).toBe('model.manifest');
    expect(error.message).toContain('fr_feature');
  });

  it('derives short model versions from the hashes', () => {
    const versions = modelVersions(manifest);
    for (const name of MODEL_NAMES) expect(versions[name]).toBe(`${name}@${manifest.models[name].sha256.slice(0, 12)}`);
  });
});
