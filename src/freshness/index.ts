export {
  FRESHNESS_UNIT_SECONDS,
  defaultFreshness,
  deduceRefreshMode,
  describeFreshness,
  formatFreshness,
  freshnessFromSeconds,
  freshnessToSeconds,
  isFreshnessUnit,
  logicalRefreshModeOf,
  validateFreshness,
} from './freshness';
export type { LogicalRefreshMode, RefreshMode } from './freshness';
export { freshnessToQuartzCron, nextFireTime, previousFireTime, quartzToCronParser, quartzToUnixCron } from './cron';
export {
  SCHEDULE_TIME_FORMATS,
  formatScheduleTime,
  isValidTimeZone,
  parseScheduleTime,
  requireTimeZone,
} from './schedule-time';
export {
  checkPartitionValues,
  dateFormatterOption,
  partitionFormatters,
  periodicPartition,
  validateDateFormatter,
} from './partition';
export { countTicks, ticksBetween, windowTicks } from './windows';
export { describeSeconds, parseDurationSeconds } from './duration';
