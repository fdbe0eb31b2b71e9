// Groups the units of a hidden layer whose incoming weights and bias agree within a tolerance relative
// to those two units' own scale (each unit's root mean square of its weights and bias; the pair's is
// the larger of the two). Per pair, not per layer: after one unit's weights exploded to ~1e19, a
// tolerance relative to the layer would call every other unit identical. "Identical" units trained from
// a symmetric start differ only by float round-off (around the 6th significant digit), so exact
// comparison would miss them, and units from a random start differ by about their own scale: a
// relative tolerance of 1e-3 sits far from both.

export interface UnitGroups {
  /** Group index of each unit (0-based, in order of first appearance by projection). */
  groupOf: Int32Array;
  /** Number of distinct units (groups). */
  effectiveWidth: number;
  /** Groups with more than one unit, each sorted ascending, largest group first. */
  duplicates: number[][];
  /** Root mean square of the layer's weights and biases (for the evidence; the tolerance is per pair). */
  scale: number;
}

/**
 * Units are compared by the max-norm distance of (kernel column, bias), against relTolerance × the
 * larger of the two units' RMS scales. To avoid comparing every pair, units are sorted by their
 * projection on a fixed pseudo-random direction r: two units within tolerance tol have projections
 * within tol·‖r‖₁, and since their scales then differ by at most tol, tol ≤ relTolerance · s/(1 −
 * relTolerance) for either unit's scale s. So each unit is compared only with the groups whose
 * projection lies in that window below its own: O(units · fanIn) for a layer of distinct units.
 * `stats.comparisons` counts the pairs compared (tests check it stays far below units²).
 */
export function groupUnits(weights: Float32Array, bias: Float32Array, fanIn: number, units: number, relTolerance: number, stats?: { comparisons: number }): UnitGroups {
  const dim = fanIn + 1;
  // fixed pseudo-random direction (LCG), one entry per input plus one for the bias
  let seed = 0x9e3779b9;
  const r = new Float64Array(dim);
  let rNorm1 = 0;
  for (let i = 0; i < dim; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    r[i] = (seed / 0x100000000) * 2 - 1;
    rNorm1 += Math.abs(r[i]);
  }
  // projections and per-unit sums of squares in one row-major pass over the kernel (no transpose)
  const proj = new Float64Array(units);
  const sq = new Float64Array(units);
  for (let i = 0; i < fanIn; i++) {
    const row = i * units;
    const ri = r[i];
    for (let j = 0; j < units; j++) {
      const w = weights[row + j];
      proj[j] += ri * w;
      sq[j] += w * w;
    }
  }
  const rb = r[fanIn];
  let total = 0;
  const unitScale = new Float64Array(units);
  for (let j = 0; j < units; j++) {
    proj[j] += rb * bias[j];
    sq[j] += bias[j] * bias[j];
    total += sq[j];
    unitScale[j] = Math.sqrt(sq[j] / dim);
  }
  const scale = units > 0 ? Math.sqrt(total / (units * dim)) : 0;
  const rel = Math.max(0, relTolerance);
  // How far below a unit's projection a matching group's can lie (plus slack for the rounding of the projections themselves).
  const windowOf = (j: number): number => (rel >= 1 ? Infinity : (rel * unitScale[j] / (1 - rel)) * rNorm1 * (1 + 1e-9) + 1e-9 * unitScale[j] * rNorm1 + 1e-30);

  const same = (a: number, b: number): boolean => {
    if (stats) stats.comparisons++;
    const tol = rel * Math.max(unitScale[a], unitScale[b]);
    if (!(Math.abs(bias[a] - bias[b]) <= tol)) return false;
    for (let i = 0; i < fanIn; i++) if (!(Math.abs(weights[i * units + a] - weights[i * units + b]) <= tol)) return false;
    return true;
  };

  const order = Array.from({ length: units }, (_, j) => j).sort((a, b) => proj[a] - proj[b]);
  const reps: number[] = [];
  const groupOf = new Int32Array(units).fill(-1);
  const members: number[][] = [];
  for (const j of order) {
    let found = -1;
    const lowest = proj[j] - windowOf(j);
    for (let k = reps.length - 1; k >= 0; k--) {
      const rep = reps[k];
      if (proj[rep] < lowest) break;
      if (same(rep, j)) { found = k; break; }
    }
    if (found < 0) {
      reps.push(j);
      members.push([j]);
      groupOf[j] = reps.length - 1;
    } else {
      members[found].push(j);
      groupOf[j] = found;
    }
  }
  const duplicates = members.filter((m) => m.length > 1).map((m) => m.sort((a, b) => a - b)).sort((a, b) => b.length - a.length || a[0] - b[0]);
  return { groupOf, effectiveWidth: reps.length, duplicates, scale };
}
