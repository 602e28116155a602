// The daemons log through the shared redacting logger (see @hessian/common's README).
export { createLogger, silentLogger, parseLogLevel } from '@hessian/common/log';
export type { Logger, LogLevel, LogFields, LoggerOptions } from '@hessian/common/log';
