// Colour of a progress bar: red at 0 %, through yellow at 50 %, to green at 100 %.

/** `hsl(p/100×120, 90%, 50%)`, continuous in p (hue to 0.1°); p is clamped to [0, 100]. */
export function getProgressColor(percent: number): string {
  const p = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
  const hue = Math.round((p / 100) * 120 * 10) / 10;
  return `hsl(${hue}, 90%, 50%)`;
}
