import { getProgressColor } from '@headway/react/lib/colors';

interface ProgressBarProps {
  /** 0–100, already smoothed by the caller. */
  value: number;
  label: string;
  /** Bar colour; default from the value (red → yellow → green). */
  color?: string;
  size?: 'large' | 'small';
  /** Read aloud instead of the bare number, e.g. "42% — Building schedule". */
  valueText?: string;
}

/** A determinate bar with role="progressbar" and aria-valuenow (rounded to a whole percent). */
export function ProgressBar({ value, label, color, size = 'large', valueText }: ProgressBarProps) {
  const clamped = Math.min(100, Math.max(0, value));
  return (
    <div
      className={`progress progress--${size}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped)}
      aria-valuetext={valueText ?? `${Math.round(clamped)}%`}
    >
      <div
        className="progress__fill"
        style={{ width: `${clamped}%`, backgroundColor: color ?? getProgressColor(clamped) }}
      />
    </div>
  );
}
