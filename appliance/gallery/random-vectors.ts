/**
 * Seeded random numbers and unit vectors for the gallery tests and the match benchmark,
 * so a failing case can be replayed from its seed. Not for keys or nonces.
 */

/** Return a uniform generator on [0, 1) (mulberry32, 32-bit state). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Return a standard normal sample (Box-Muller). */
export function gaussian(random: () => number): number {
  let u = random();
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Return a vector drawn uniformly from the unit sphere (normalised Gaussian components). */
export function randomUnitVector(random: () => number, dimension: number): Float32Array {
  const values = new Float64Array(dimension);
  let sumOfSquares = 0;
  for (let i = 0; i < dimension; i++) {
    values[i] = gaussian(random);
    sumOfSquares += values[i]! * values[i]!;
  }
  const norm = Math.sqrt(sumOfSquares);
  return Float32Array.from(values, (value) => value / norm);
}

/**
 * Return a unit vector near `base`: base + noise * (random unit vector), normalised. A noise of
 * 1 gives a cosine of about 0.7 with `base` in high dimensions, like two photos of one person.
 */
export function perturbedUnitVector(random: () => number, base: Float32Array, noise: number): Float32Array {
  const direction = randomUnitVector(random, base.length);
  const values = new Float64Array(base.length);
  let sumOfSquares = 0;
  for (let i = 0; i < base.length; i++) {
    values[i] = base[i]! + noise * direction[i]!;
    sumOfSquares += values[i]! * values[i]!;
  }
  const norm = Math.sqrt(sumOfSquares);
  return Float32Array.from(values, (value) => value / norm);
}
