/** Command safety: whitelist → interception → per-key limits → audit, in front of the agent port. */
export { auditedCommands, createCommandGate, resolveTemplate, type AuditSink, type CommandHistory, type CommandGate, type CommandGateOptions, type GateOutcome, type MainCommand, type RefusalCode, type Resolution, type SafetyAuditEntry } from './gate.js';
export { parseSafetyConfig, safetyConfigSchema, type ParsedSafetyConfig, type SafetyConfig } from './config.js';
export { DEFAULT_RULES, intercept, compileRules, riskLevels, type Risk, type Rule } from './rules.js';
export { KeyLimiter, type LevelLimit, type Limits } from './limits.js';
