export interface Metrics {
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
}

export function regressionMetrics(actual: number[], predicted: number[]): Metrics {
  const n = actual.length;
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < n; i += 1) {
    const error = (predicted[i] as number) - (actual[i] as number);
    abs += Math.abs(error);
    sq += error * error;
  }
  const mean = actual.reduce((a, b) => a + b, 0) / n;
  const total = actual.reduce((a, b) => a + (b - mean) ** 2, 0);
  const mse = sq / n;
  return { mae: abs / n, mse, rmse: Math.sqrt(mse), r2: total > 0 ? 1 - sq / total : 0 };
}
