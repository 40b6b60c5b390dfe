// The original architectures' model, as the baseline every new model must beat: ordinary least
// squares of IBU on the standardised features, solved in closed form (normal equations, with a
// tiny ridge so a constant column cannot make the system singular).

export interface LinearModel {
  weights: number[]; // intercept first
}

export function fitLinear(x: number[][], y: number[], ridge = 1e-6): LinearModel {
  const d = (x[0]?.length ?? 0) + 1;
  const a = Array.from({ length: d }, () => new Array<number>(d + 1).fill(0));
  x.forEach((row, i) => {
    const r = [1, ...row];
    for (let j = 0; j < d; j += 1) {
      for (let k = 0; k < d; k += 1)
        (a[j] as number[])[k] = ((a[j] as number[])[k] as number) + (r[j] as number) * (r[k] as number);
      (a[j] as number[])[d] = ((a[j] as number[])[d] as number) + (r[j] as number) * (y[i] as number);
    }
  });
  for (let j = 1; j < d; j += 1) (a[j] as number[])[j] = ((a[j] as number[])[j] as number) + ridge * x.length;
  return { weights: solve(a) };
}

export const predictLinear = (model: LinearModel, row: number[]) =>
  row.reduce((sum, x, j) => sum + x * (model.weights[j + 1] as number), model.weights[0] as number);

/** Gaussian elimination with partial pivoting on an augmented matrix. */
function solve(a: number[][]): number[] {
  const n = a.length;
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < n; r += 1)
      if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number))
        pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = a[col] as number[];
    for (let r = 0; r < n; r += 1) {
      if (r === col) continue;
      const row = a[r] as number[];
      const factor = (row[col] as number) / (p[col] as number);
      for (let k = col; k <= n; k += 1) row[k] = (row[k] as number) - factor * (p[k] as number);
    }
  }
  return a.map((row, i) => (row[n] as number) / (row[i] as number));
}
