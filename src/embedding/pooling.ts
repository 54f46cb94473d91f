/**
 * Mean pooling over the real (unpadded) tokens of each row, then L2 normalisation: exactly
 * what sentence-transformers' Pooling(mean) + Normalize modules do for all-MiniLM-L6-v2.
 *
 * @param hidden  last_hidden_state, row-major [batch, sequence, dims]
 * @param lengths real token count of each row (the attention mask is 1 for the first `length`)
 */
export function meanPoolNormalise(
  hidden: Float32Array,
  lengths: readonly number[],
  sequence: number,
  dims: number,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (let row = 0; row < lengths.length; row++) {
    const length = lengths[row] ?? 0;
    const sum = new Float64Array(dims);
    const base = row * sequence * dims;
    for (let t = 0; t < length; t++) {
      const offset = base + t * dims;
      for (let d = 0; d < dims; d++) sum[d] = (sum[d] ?? 0) + (hidden[offset + d] ?? 0);
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const mean = (sum[d] ?? 0) / Math.max(length, 1);
      sum[d] = mean;
      norm += mean * mean;
    }
    // Same floor as torch.nn.functional.normalize (eps 1e-12) so a zero vector stays finite.
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    const vector = new Float32Array(dims);
    for (let d = 0; d < dims; d++) vector[d] = (sum[d] ?? 0) * scale;
    out.push(vector);
  }
  return out;
}
