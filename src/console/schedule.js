/**
 * How the console words a table's next scheduled refresh. The gateway says when it is due (`nextRun`, its cron read
 * in the gateway's time zone); a table without one is suspended or continuous.
 */

/** `{text}` for a table with no next time (suspended, continuous), else `{at}` (ISO). */
export function nextRun({ refreshMode, refreshStatus }, at) {
  if (refreshStatus === 'SUSPENDED') return { text: 'suspended' };
  if (refreshMode === 'CONTINUOUS') return { text: 'continuous' };
  return at ? { at } : { text: '—' };
}
