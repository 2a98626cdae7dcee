export { createLogger, type Logger, type LoggerOptions } from './logger';
export { outputTail } from './output-tail';
