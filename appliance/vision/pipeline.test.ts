import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { lfwPeople, lfwPhoto, placeOnCanvas } from '../../test/helpers/faces.js';
import { decodeImage, decodeImageFile } from './decode.js';
import { cosine } from './embed.js';
import { iou, type Box } from './image.js';
import { FacePipeline, type AnalyseResult, type FaceResult } from './pipeline.js';

// LFW people whose first photo shows one face. Each check runs on all of them.
const PEOPLE = ['aaron_peirsol', 'abdullah', 'adrien_brody', 'ai_sugiyama', 'al_gore', 'al_sharpton'];

interface Reference {
  file: string;
  box: Box;
  interEyePx: number;
  embedding: Float32Array;
}

let pipeline: FacePipeline;
const references = new Map<string, Reference>();

beforeAll(async () => {
  pipeline = await FacePipeline.create({}, silentLogger());
  for (const person of PEOPLE) {
    const file = lfwPhoto(person);
    const result = await pipeline.analyse(await decodeImageFile(file), { order: 'central' });
    const face = result.faces[0]!;
    expect(face.quality.reasons, `${person}'s own photo must pass the gate`).toEqual([]);
    references.set(person, { file, box: face.box, interEyePx: face.quality.interEyePx, embedding: face.embedding! });
  }
});

afterAll(async () => {
  await pipeline?.close();
});

async function analyse(bytes: Buffer, options: { embedDespiteQuality?: boolean } = {}): Promise<AnalyseResult> {
  return pipeline.analyse(await decodeImage(bytes, 'derived.png'), { maxFaces: 1, order: 'central', ...options });
}

/** Return the analysed face overlapping `expected` most, because a crop can put another face or a false detection nearer the centre. */
async function analyseAround(bytes: Buffer, expected: Box, options: { embedDespiteQuality?: boolean } = {}): Promise<{ result: AnalyseResult; face: FaceResult | undefined }> {
  const result = await pipeline.analyse(await decodeImage(bytes, 'derived.png'), { maxFaces: 5, ...options });
  const ranked = result.faces.map((face) => ({ face, overlap: iou(face.box, expected) })).sort((a, b) => b.overlap - a.overlap);
  const best = ranked[0];
  return { result, face: best !== undefined && best.overlap > 0.2 ? best.face : undefined };
}

function reference(person: string): Reference {
  return references.get(person)!;
}

type Side = 'left' | 'right' | 'top';

/**
 * Crop the person's photo so that `fraction` of the face box lies beyond the `side` edge. Returns the
 * crop and the face box in the crop's coordinates.
 */
async function cutAtEdge(person: string, side: Side, fraction: number): Promise<{ bytes: Buffer; box: Box }> {
  const { file, box } = reference(person);
  const width = box.x2 - box.x1;
  const height = box.y2 - box.y1;
  let region = { left: 0, top: 0, width: 250, height: 250 };
  if (side === 'left') {
    const cut = Math.round(box.x1 + fraction * width);
    region = { left: cut, top: 0, width: 250 - cut, height: 250 };
  } else if (side === 'right') {
    region = { left: 0, top: 0, width: Math.round(box.x2 - fraction * width), height: 250 };
  } else {
    const cut = Math.round(box.y1 + fraction * height);
    region = { left: 0, top: cut, width: 250, height: 250 - cut };
  }
  const bytes = await sharp(file).extract(region).png().toBuffer();
  return { bytes, box: { x1: box.x1 - region.left, y1: box.y1 - region.top, x2: box.x2 - region.left, y2: box.y2 - region.top } };
}

function touchesEdge(face: FaceResult, side: Side, width: number): boolean {
  if (side === 'left') return face.box.x1 < 5;
  if (side === 'right') return face.box.x2 > width - 5;
  return face.box.y1 < 5;
}

describe('FacePipeline at the image border', () => {
  it('matches a face a third outside', async () => {
    const failures: string[] = [];
    for (const person of PEOPLE) {
      for (const side of ['left', 'right', 'top'] as const) {
        const cut = await cutAtEdge(person, side, 1 / 3);
        const { result, face } = await analyseAround(cut.bytes, cut.box);
        const similarity = face?.embedding ? cosine(face.embedding, reference(person).embedding) : NaN;
        if (face === undefined || !touchesEdge(face, side, result.width) || !(similarity >= 0.5)) {
          failures.push(`${person} ${side}: ${face === undefined ? 'no face' : `box ${JSON.stringify(face.box)}, similarity ${similarity.toFixed(2)}`}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('mostly finds a half-visible face', async () => {
    // Half a face is a hard case for the detector and the embedding model alike. When this test was
    // written, 11 of these 12 crops were found and 7 reached a similarity of 0.5, so the bounds below
    // keep that level.
    const outcomes: string[] = [];
    let found = 0;
    let similar = 0;
    for (const person of PEOPLE) {
      for (const side of ['left', 'right'] as const) {
        const cut = await cutAtEdge(person, side, 0.5);
        const { result, face } = await analyseAround(cut.bytes, cut.box, { embedDespiteQuality: true });
        if (face === undefined) {
          outcomes.push(`${person} ${side}: no face`);
          continue;
        }
        expect(touchesEdge(face, side, result.width), `${person} ${side} box ${JSON.stringify(face.box)}`).toBe(true);
        found++;
        const similarity = cosine(face.embedding!, reference(person).embedding);
        if (similarity >= 0.5) similar++;
        outcomes.push(`${person} ${side}: ${similarity.toFixed(2)}`);
      }
    }
    expect(found, outcomes.join(', ')).toBeGreaterThanOrEqual(11);
    expect(similar, outcomes.join(', ')).toBeGreaterThanOrEqual(7);
  });
});

describe('FacePipeline on a face filling the frame', () => {
  it('matches a face filling 600x600', async () => {
    for (const person of PEOPLE) {
      const { file, box } = reference(person);
      const left = Math.max(0, Math.round(box.x1));
      const top = Math.max(0, Math.round(box.y1));
      const region = { left, top, width: Math.min(250, Math.round(box.x2)) - left, height: Math.min(250, Math.round(box.y2)) - top };
      const filled = await sharp(file).extract(region).resize(600, 600, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer();

      const result = await analyse(filled);
      const face = result.faces[0];
      expect(face, person).toBeDefined();
      expect(face!.quality.reasons, person).toEqual([]);
      expect(face!.box.x2 - face!.box.x1, `${person} box width`).toBeGreaterThan(400);
      expect(cosine(face!.embedding!, reference(person).embedding), person).toBeGreaterThanOrEqual(0.5);
    }
  });
});

describe('FacePipeline quality gate on real faces', () => {
  it('misses a 40x40 photo in 640x480', async () => {
    // The face is then about 15 px wide and 7 px in the 320x240 detector input, below what the
    // detector finds. Such a photo is rejected as showing no face rather than as too small.
    for (const person of PEOPLE) {
      const tiny = await placeOnCanvas(reference(person).file, { width: 640, height: 480, photoWidth: 40, photoHeight: 40 });
      const result = await analyse(tiny);
      expect(result.detections, person).toEqual([]);
    }
  });

  it('rejects eyes 14 px apart as too-small', async () => {
    for (const person of PEOPLE) {
      const side = Math.round((250 * 14) / reference(person).interEyePx);
      const small = await placeOnCanvas(reference(person).file, { width: 640, height: 480, photoWidth: side, photoHeight: side });
      const face = (await analyse(small)).faces[0];
      expect(face, person).toBeDefined();
      expect(face!.quality.reasons, person).toContain('too-small');
      expect(face!.quality.interEyePx, person).toBeLessThan(20);
      expect(face!.embedding, person).toBeNull();
    }
  });

  it('rejects heavy blur as too-blurry', async () => {
    for (const person of ['aaron_peirsol', 'abdullah', 'ai_sugiyama', 'al_gore']) {
      const blurred = await sharp(reference(person).file).blur(6).png().toBuffer();
      const face = (await analyse(blurred)).faces[0];
      expect(face, person).toBeDefined();
      expect(face!.quality.reasons, person).toContain('too-blurry');
      expect(face!.embedding, person).toBeNull();
    }
  });

  it('rejects a dark face as too-dark', async () => {
    for (const person of PEOPLE) {
      const dark = await sharp(reference(person).file).linear(0.2, 0).png().toBuffer();
      const face = (await analyse(dark)).faces[0];
      expect(face, person).toBeDefined();
      expect(face!.quality.reasons, person).toContain('too-dark');
      expect(face!.quality.brightness, person).toBeLessThan(40);
    }
  });

  it('embeds failed faces only on request', async () => {
    const blurred = await sharp(reference('al_gore').file).blur(6).png().toBuffer();
    const face = (await analyse(blurred, { embedDespiteQuality: true })).faces[0]!;
    expect(face.quality.ok).toBe(false);
    expect(face.embedding).toBeInstanceOf(Float32Array);
    expect(face.embedding!.length).toBe(512);
  });

  it('rejects faces turned 90 degrees', async () => {
    // The landmark model gives a turned face an upright-looking shape, so pose checks pass it. The
    // feature strength check catches most of them: on these 40 people, 38 of 74 turned faces passed without it and 7 with it.
    const people = lfwPeople().slice(0, 40);
    const upright: string[] = [];
    const turned: string[] = [];
    let turnedFound = 0;
    for (const person of people) {
      const uprightFace = (await analyse(await sharp(lfwPhoto(person)).png().toBuffer())).faces[0];
      if (uprightFace?.quality.ok) upright.push(person);
      for (const angle of [90, 270]) {
        const face = (await analyse(await sharp(lfwPhoto(person)).rotate(angle).png().toBuffer())).faces[0];
        if (face === undefined) continue;
        turnedFound++;
        if (face.quality.ok) turned.push(`${person} ${angle}°`);
      }
    }
    expect(upright).toHaveLength(people.length);
    expect(turnedFound).toBeGreaterThan(60);
    expect(turned.length, turned.join(', ')).toBeLessThanOrEqual(10);
  });

  it('matches a sideways photo with EXIF', async () => {
    // Stored rotated 90 degrees anticlockwise, tagged with orientation 6 (turn clockwise to display).
    for (const person of ['al_gore', 'abdullah']) {
      const sideways = await sharp(reference(person).file).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
      const face = (await analyse(sideways)).faces[0];
      expect(face?.quality.reasons, person).toEqual([]);
      expect(cosine(face!.embedding!, reference(person).embedding), person).toBeGreaterThan(0.8);
    }
  });
});

describe('FacePipeline.analyse options', () => {
  let pair: AnalyseResult['detections'];
  let twoFaces: Awaited<ReturnType<typeof decodeImage>>;

  beforeAll(async () => {
    // al_gore on the left at full size, abdullah on the right at 70 %.
    const small = await sharp(reference('abdullah').file).resize(175, 175).png().toBuffer();
    const canvas = await placeOnCanvas(reference('al_gore').file, { width: 500, height: 250, left: 0, top: 0 });
    const bytes = await sharp(canvas).composite([{ input: small, left: 300, top: 40 }]).png().toBuffer();
    twoFaces = await decodeImage(bytes, 'two.png');
    pair = (await pipeline.analyse(twoFaces, { maxFaces: 2 })).detections;
  });

  it('orders largest first, analyses maxFaces', async () => {
    expect(pair).toHaveLength(2);
    const result = await pipeline.analyse(twoFaces);
    expect(result.detections).toHaveLength(2);
    expect(result.faces).toHaveLength(1);
    expect(result.faces[0]!.box.x1).toBeLessThan(250);
    expect(cosine(result.faces[0]!.embedding!, reference('al_gore').embedding)).toBeGreaterThan(0.8);
  });

  it('orders central faces first on request', async () => {
    // Both faces are about as far from the centre, so cropping the left edge moves the right one closer.
    const { data, info } = await sharp(twoFaces.data, { raw: { width: 500, height: 250, channels: 3 } })
      .extract({ left: 120, top: 0, width: 380, height: 250 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const shifted = { width: info.width, height: info.height, data: new Uint8Array(data) };
    const central = await pipeline.analyse(shifted, { maxFaces: 2, order: 'central' });
    expect(central.faces).toHaveLength(2);
    expect(cosine(central.faces[0]!.embedding!, reference('abdullah').embedding)).toBeGreaterThan(0.6);
    expect(cosine(central.faces[1]!.embedding!, reference('al_gore').embedding)).toBeGreaterThan(0.5);
  });

  it('skips liveness on request, records timings', async () => {
    const without = await pipeline.analyse(twoFaces, { liveness: false });
    expect(without.faces[0]!.liveness).toBeNull();
    expect(without.timings.liveness).toBeUndefined();
    const withLiveness = await pipeline.analyse(twoFaces);
    expect(withLiveness.faces[0]!.liveness).toBeGreaterThanOrEqual(0);
    expect(withLiveness.faces[0]!.liveness).toBeLessThanOrEqual(1);
    for (const stage of ['detect', 'landmarks', 'align', 'quality', 'liveness', 'embed'] as const) {
      expect(withLiveness.timings[stage], stage).toBeGreaterThanOrEqual(0);
    }
  });

  it('returns unit embeddings and landmarks', async () => {
    const face = (await pipeline.analyse(twoFaces)).faces[0]!;
    const norm = Math.hypot(...face.embedding!);
    expect(norm).toBeCloseTo(1, 5);
    expect(face.landmarks).toHaveLength(68);
    expect(face.points).toHaveLength(5);
    const margin = 0.25 * (face.box.x2 - face.box.x1);
    for (const p of face.points) {
      expect(p.x).toBeGreaterThan(face.box.x1 - margin);
      expect(p.x).toBeLessThan(face.box.x2 + margin);
      expect(p.y).toBeGreaterThan(face.box.y1 - margin);
      expect(p.y).toBeLessThan(face.box.y2 + margin);
    }
  });

  it('returns nothing for a blank image', async () => {
    const blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(128) };
    const result = await pipeline.analyse(blank);
    expect(result.detections).toEqual([]);
    expect(result.faces).toEqual([]);
  });
});
