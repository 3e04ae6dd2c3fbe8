/**
 * Log exceptions: parse exception signatures from raw logs into the case format's events, and
 * judge a release by signatures new since it and old ones whose rate surged.
 */
export { extractExceptions, parseExceptionLog, parseExceptionLogs, logParseConfig, type ExceptionRecord, type LogParseConfig } from './parse.js';
export {
  logExceptions,
  judgeSignatures,
  logExceptionsConfig,
  logExceptionsDetector,
  defaultFatalClasses,
  isFatal,
  signatureClass,
  type LogExceptionsConfig,
  type SignatureFinding,
} from './detect.js';
