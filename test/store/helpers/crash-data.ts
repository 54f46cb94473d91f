/** Deterministic vector of a crash-test point, shared by the writer child and the checker. */
export function vectorFor(id: number, dims: number): number[] {
  return Array.from({ length: dims }, (_, j) => Math.sin(id * 0.37 + j * 1.3) + (j === id % dims ? 2 : 0));
}
