export { schedulerFactory, type CrontabOptions } from './crontab-scheduler';
