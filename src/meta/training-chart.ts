/**
 * The picture of a training run: fitness (best, mean, centre) and query accuracy per generation,
 * drawn from metrics.jsonl records. Written beside the metrics by the Node trainer.
 */
import { esc, lineChartSvg } from '../chart/svg';
import type { GenerationMetrics } from './trainer';

/** Moving average over a centred window (noisy per-generation centre values). */
function smooth(v: number[], window: number): number[] {
  const h = Math.floor(window / 2);
  return v.map((_, i) => {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - h); j <= Math.min(v.length - 1, i + h); j++) {
      if (Number.isFinite(v[j])) {
        s += v[j];
        n++;
      }
    }
    return n ? s / n : NaN;
  });
}

/** Validation accuracy per stream length (config.validation), at the generations it was measured. */
function validationSeries(metrics: GenerationMetrics[]): { name: string; points: [number, number][] }[] {
  const byLength = new Map<number, [number, number][]>();
  for (const m of metrics) {
    for (const v of m.validation ?? []) {
      v.perClass.forEach((n, i) => {
        if (!byLength.has(n)) byLength.set(n, []);
        byLength.get(n)!.push([v.generation, v.accuracy[i]]);
      });
    }
  }
  return [...byLength].map(([n, points]) => ({ name: `validation, ${n}/class (deployed learner)`, points }));
}

export function trainingChartSvg(metrics: GenerationMetrics[], title: string): string {
  const g = metrics.map((m) => m.generation + 1);
  const pts = (v: number[]): [number, number][] => v.map((y, i) => [g[i], y]);
  const window = Math.max(1, Math.round(metrics.length / 30));
  const kind = metrics[0]?.fitnessKind ?? 'fitness';
  const fitness = lineChartSvg({
    title: `fitness (${kind})`,
    xLabel: 'generation',
    yLabel: 'fitness (higher is better)',
    height: 320,
    series: [
      { name: 'population best', points: pts(metrics.map((m) => m.fitness.best)) },
      { name: 'population mean', points: pts(metrics.map((m) => m.fitness.mean)) },
      {
        name: `centre (avg of ${window})`,
        points: pts(
          smooth(
            metrics.map((m) => m.centre?.fitness ?? NaN),
            window,
          ),
        ),
      },
    ],
  });
  const accuracy = lineChartSvg({
    title: 'query accuracy',
    xLabel: 'generation',
    yLabel: 'query accuracy',
    height: 320,
    series: [
      {
        name: `centre (avg of ${window})`,
        points: pts(
          smooth(
            metrics.map((m) => m.centre?.queryAccuracy ?? NaN),
            window,
          ),
        ),
      },
      {
        name: `population mean (avg of ${window})`,
        points: pts(
          smooth(
            metrics.map((m) => m.queryAccuracy.mean),
            window,
          ),
        ),
      },
      { name: 'population best', points: pts(metrics.map((m) => m.queryAccuracy.best)), dashed: true },
      ...validationSeries(metrics),
    ],
  });
  // Stack the two charts in one SVG.
  const inner = (svg: string, dy: number) =>
    svg.replace(/^<svg [^>]*>/, `<g transform="translate(0 ${dy})">`).replace(/<\/svg>$/, '</g>');
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="664" viewBox="0 0 760 664" font-family="sans-serif" font-size="12">',
    '<rect width="760" height="664" fill="white"/>',
    `<text x="380" y="18" text-anchor="middle" font-size="13" fill="#333">${esc(title)}</text>`,
    inner(fitness, 24),
    inner(accuracy, 344),
    '</svg>',
  ].join('\n');
}
