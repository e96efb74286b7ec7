/**
 * Volume and delivery rate over time as inline SVG: stacked bars (delivered, failed or
 * undelivered, on the way) and a dashed line for the delivery rate on a 0–100% scale. No chart
 * library: it is one picture.
 */

import type { SummaryGroup } from '../lib/reports.ts';

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { top: 16, right: 44, bottom: 36, left: 44 };

/** `2025-06-02` → `2 Jun`; `2025-06-02T14:00` → `14:00` (already in the account's zone). */
function label(key: string | null, unit: 'hour' | 'day'): string {
  if (key === null) return '';
  if (unit === 'hour') return key.slice(11, 16);
  const [, month, day] = key.split('-');
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  return `${Number(day)} ${months[Number(month) - 1] ?? ''}`;
}

export function VolumeChart({ groups, unit }: { groups: SummaryGroup[]; unit: 'hour' | 'day' }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = Math.max(1, ...groups.map((g) => g.messages));
  const slot = plotW / Math.max(1, groups.length);
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const height = (n: number) => (n / max) * plotH;
  const base = PAD.top + plotH;
  const rateY = (r: number) => PAD.top + plotH - r * plotH;
  const labelEvery = Math.ceil(groups.length / 10);
  const ratePoints = groups.flatMap((g, i) =>
    g.deliveryRate === null ? [] : [`${PAD.left + slot * (i + 0.5)},${rateY(g.deliveryRate)}`],
  );
  const summary = groups
    .filter((g) => g.messages > 0)
    .map(
      (g) =>
        `${label(g.key, unit)}: ${g.messages} sent, ${g.delivered} delivered, ${g.failed + g.undelivered} failed`,
    )
    .join('; ');

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`SMS volume and delivery rate. ${summary || 'No messages.'}`}
      >
        <line x1={PAD.left} y1={base} x2={PAD.left + plotW} y2={base} stroke="#b8bec8" />
        <text x={PAD.left - 6} y={PAD.top + 4} textAnchor="end" className="axis">
          {max}
        </text>
        <text x={PAD.left - 6} y={base} textAnchor="end" className="axis">
          0
        </text>
        <text x={PAD.left + plotW + 6} y={PAD.top + 4} className="axis">
          100%
        </text>
        <text x={PAD.left + plotW + 6} y={base} className="axis">
          0%
        </text>
        {groups.map((g, i) => {
          const x = PAD.left + slot * (i + 0.5) - barW / 2;
          const failed = g.failed + g.undelivered;
          const hDelivered = height(g.delivered);
          const hFailed = height(failed);
          const hPending = height(g.pending);
          return (
            <g key={g.key ?? i}>
              <rect x={x} y={base - hDelivered} width={barW} height={hDelivered} fill="#17794a" />
              <rect
                x={x}
                y={base - hDelivered - hFailed}
                width={barW}
                height={hFailed}
                fill="#c42b2b"
              />
              <rect
                x={x}
                y={base - hDelivered - hFailed - hPending}
                width={barW}
                height={hPending}
                fill="#8fb0ff"
              />
              <title>{`${label(g.key, unit)}: ${g.messages} sent, ${g.delivered} delivered, ${failed} failed, ${g.pending} on the way`}</title>
              {i % labelEvery === 0 ? (
                <text
                  x={x + barW / 2}
                  y={HEIGHT - PAD.bottom + 16}
                  textAnchor="middle"
                  className="axis"
                >
                  {label(g.key, unit)}
                </text>
              ) : null}
            </g>
          );
        })}
        {ratePoints.length > 1 ? (
          <polyline
            points={ratePoints.join(' ')}
            fill="none"
            stroke="#1c2230"
            strokeWidth={2}
            strokeDasharray="4 3"
          />
        ) : null}
        {ratePoints.length === 1 ? (
          <circle
            cx={ratePoints[0]!.split(',')[0]}
            cy={ratePoints[0]!.split(',')[1]}
            r={3}
            fill="#1c2230"
          />
        ) : null}
      </svg>
      <figcaption className="legend small">
        <span className="swatch" style={{ background: '#17794a' }} /> delivered
        <span className="swatch" style={{ background: '#c42b2b' }} /> failed or undelivered
        <span className="swatch" style={{ background: '#8fb0ff' }} /> on the way
        <span className="swatch line" /> delivery rate
      </figcaption>
    </figure>
  );
}
