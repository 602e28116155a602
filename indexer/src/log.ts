// The indexer logs through the shared logger: JSON lines on stderr (see @hessian/common's README).
export { createLogger, silentLogger, parseLogLevel } from '@hessian/common/log';
export type { Logger, LogLevel, LogFields, LoggerOptions } from '@hessian/common/log';
