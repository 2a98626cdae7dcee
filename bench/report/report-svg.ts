import { type BenchFigure, formatRatio, formatValue } from '../bench-result';

const LABEL_WIDTH = 300;
const BAR_WIDTH = 420;
const ROW_HEIGHT = 58;
const BAR_HEIGHT = 18;

/**
 * A horizontal bar chart: one row per figure, the kata-ts bar above its reference's bar, each
 * row scaled on its own (units differ between rows), so the picture shows the ratios.
 */
export function reportSvg(figures: BenchFigure[], title: string): string {
  const width = LABEL_WIDTH + BAR_WIDTH + 200;
  const height = 50 + Math.max(1, figures.length) * ROW_HEIGHT + 30;
  const rows = figures.map((f, i) => row(f, 44 + i * ROW_HEIGHT));
  const legendY = height - 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...(figures.length ? rows : [`<text x="12" y="70">no figures: every benchmark failed or none ran</text>`]),
    `<rect x="${LABEL_WIDTH}" y="${legendY - 11}" width="12" height="12" fill="#d9480f"/>`,
    `<text x="${LABEL_WIDTH + 18}" y="${legendY}">kata-ts</text>`,
    `<rect x="${LABEL_WIDTH + 90}" y="${legendY - 11}" width="12" height="12" fill="#868e96"/>`,
    `<text x="${LABEL_WIDTH + 108}" y="${legendY}">reference (same run)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function row(f: BenchFigure, y: number): string {
  const max = Math.max(f.subject.value, f.reference?.value ?? 0) || 1;
  const bar = (value: number, dy: number, color: string, name: string): string => {
    const w = Math.max(1, (value / max) * BAR_WIDTH);
    return (
      `<rect x="${LABEL_WIDTH}" y="${y + dy}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>` +
      `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + dy + 14}">${escapeXml(`${name}: ${formatValue(value, f.unit)}`)}</text>`
    );
  };
  const parts = [
    `<text x="12" y="${y + 14}">${escapeXml(truncate(f.label, 40))}</text>`,
    bar(f.subject.value, 0, '#d9480f', f.subject.name),
  ];
  if (f.reference) {
    parts.push(bar(f.reference.value, BAR_HEIGHT + 2, '#868e96', f.reference.name));
    parts.push(`<text x="12" y="${y + 32}" fill="#495057">${escapeXml(formatRatio(f))}</text>`);
  }
  return `<g>${parts.join('')}</g>`;
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
