// Two pictures for each trained model, as plain SVG: the training curve (loss and validation loss
// by epoch) and predicted against actual IBU on the test split (at most PLOT_MAX_POINTS of its rows).

const W = 640;
const H = 400;
const M = { left: 60, right: 20, top: 40, bottom: 50 };

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>
<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>
<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${xLabel}</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${yLabel}</text>
${body}
</svg>
`;
}

function scale(min: number, max: number, from: number, to: number) {
  const span = max - min || 1;
  return (v: number) => from + ((v - min) / span) * (to - from);
}

function ticks(min: number, max: number, place: (v: number) => number, axis: 'x' | 'y'): string {
  return Array.from({ length: 5 }, (_, i) => {
    const v = min + ((max - min) * i) / 4;
    const p = place(v).toFixed(1);
    const label = Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
    return axis === 'x'
      ? `<text x="${p}" y="${H - M.bottom + 16}" text-anchor="middle">${label}</text>`
      : `<text x="${M.left - 6}" y="${p}" text-anchor="end" dominant-baseline="middle">${label}</text>`;
  }).join('\n');
}

export function trainingCurveSvg(
  history: Array<{ epoch: number; loss: number; val_loss: number }>,
  bestEpoch: number,
): string {
  // Loops, not Math.max(...values): a spread of a few hundred thousand arguments overflows the stack.
  const maxEpoch = history.reduce((m, h) => Math.max(m, h.epoch), 1);
  const values = history.flatMap((h) => [h.loss, h.val_loss]);
  const lo = values.reduce((a, b) => Math.min(a, b), 0);
  const hi = values.reduce((a, b) => Math.max(a, b), 1e-6);
  const x = scale(1, maxEpoch, M.left, W - M.right);
  const y = scale(lo, hi, H - M.bottom, M.top);
  const path = (pick: (h: (typeof history)[number]) => number) =>
    history
      .map((h, i) => `${i === 0 ? 'M' : 'L'}${x(h.epoch).toFixed(1)},${y(pick(h)).toFixed(1)}`)
      .join(' ');
  return frame(
    'Training curve (Huber loss on standardised log IBU)',
    'epoch',
    'loss',
    `${ticks(1, maxEpoch, x, 'x')}
${ticks(lo, hi, y, 'y')}
<path d="${path((h) => h.loss)}" fill="none" stroke="#1f77b4" stroke-width="2"/>
<path d="${path((h) => h.val_loss)}" fill="none" stroke="#ff7f0e" stroke-width="2"/>
<line x1="${x(bestEpoch)}" y1="${M.top}" x2="${x(bestEpoch)}" y2="${H - M.bottom}" stroke="#2ca02c" stroke-dasharray="4 3"/>
<text x="${W - M.right - 150}" y="${M.top + 10}" fill="#1f77b4">training loss</text>
<text x="${W - M.right - 150}" y="${M.top + 26}" fill="#ff7f0e">validation loss</text>
<text x="${W - M.right - 150}" y="${M.top + 42}" fill="#2ca02c">best epoch ${bestEpoch}</text>`,
  );
}

/** Points drawn per series: more only blot the picture and grow the SVG with the test split. */
export const PLOT_MAX_POINTS = 1000;

/** At most `max` indices of `n`, evenly spread and always the same for the same n. */
export function plotted(n: number, max = PLOT_MAX_POINTS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

export function predictedVsActualSvg(allActual: number[], allModel: number[], allBaseline: number[]): string {
  const chosen = plotted(allActual.length);
  const pick = (values: number[]) => chosen.map((i) => values[i] as number);
  const [actual, model, baseline] = [pick(allActual), pick(allModel), pick(allBaseline)];
  const all = [...actual, ...model, ...baseline];
  const hi = all.reduce((a, b) => Math.max(a, b), 10);
  const lo = all.reduce((a, b) => Math.min(a, b), 0);
  const x = scale(lo, hi, M.left, W - M.right);
  const y = scale(lo, hi, H - M.bottom, M.top);
  const dots = (predicted: number[], color: string) =>
    predicted
      .map(
        (p, i) =>
          `<circle cx="${x(actual[i] as number).toFixed(1)}" cy="${y(p).toFixed(1)}" r="3" fill="${color}" fill-opacity="0.6"/>`,
      )
      .join('\n');
  return frame(
    allActual.length > actual.length
      ? `Predicted vs actual IBU (${actual.length} of ${allActual.length} test rows)`
      : 'Predicted vs actual IBU (test split)',
    'actual IBU',
    'predicted IBU',
    `${ticks(lo, hi, x, 'x')}
${ticks(lo, hi, y, 'y')}
<line x1="${x(lo)}" y1="${y(lo)}" x2="${x(hi)}" y2="${y(hi)}" stroke="#999" stroke-dasharray="4 3"/>
${dots(baseline, '#d62728')}
${dots(model, '#1f77b4')}
<text x="${M.left + 10}" y="${M.top + 10}" fill="#1f77b4">tfjs model</text>
<text x="${M.left + 10}" y="${M.top + 26}" fill="#d62728">linear baseline</text>`,
  );
}
