// One way to say how long something takes or has left, for progress lines, dialogs and model cards:
// seconds while short, minutes (and seconds) up to an hour and a half, then hours.

/** "8 s", "2 min 05 s", "47 min", "3.2 h"; rounds up under a minute so a nearly done job never says "0 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 600) {
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  }
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
