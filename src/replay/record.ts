/**
 * Record and feedback: an evaluation kept as a case (its inputs in the case format, plus the
 * verdict and the detector versions that made it), and feedback attached later that turns the
 * recording into a labeled case for replay. Recordings are case files with extra fields, so a
 * directory of them is a dataset as it is (the case format ignores fields it does not know).
 */
import type { Case, CaseLabel, ParsedCase } from '../datasets/case.js';
import { toCaseJson } from '../datasets/case.js';
import type { Verdict } from '../gate/verdict.js';

export interface Recording extends Case {
  /** What the gate answered. */
  recorded: {
    decision: Verdict['decision'];
    score: number;
    /** Epoch ms of the evaluation (given by the caller: the library has no clock). */
    at: number;
    detectors: Verdict['detectors'];
    reasons: string[];
  };
  /** A person's judgement of the verdict, once given. */
  feedback?: Feedback;
}

export interface Feedback {
  /** Whether the verdict was right. */
  correct: boolean;
  /** Metric names (or "logs") that showed the fault. */
  labels: string[];
  /** Kind of fault or confounder, for figures per kind. */
  kind?: string;
  note?: string;
}

/** Records one evaluation: the case's inputs with the verdict and detector versions. */
export function recordEvaluation(input: ParsedCase, verdict: Verdict, at: number): Recording {
  const json = toCaseJson(input);
  delete json.label;
  return { ...json, recorded: { decision: verdict.decision, score: verdict.score, at, detectors: verdict.detectors, reasons: verdict.reasons } };
}

/**
 * The label feedback implies: the verdict flagged the batch (anything but PASS) or not, and a person
 * said whether that was right — so the change was bad exactly when flagged XOR incorrect.
 */
export function labelFromFeedback(decision: Verdict['decision'], feedback: Pick<Feedback, 'correct' | 'labels' | 'kind'>): CaseLabel {
  const flagged = decision !== 'PASS';
  return { bad: feedback.correct ? flagged : !flagged, metrics: [...feedback.labels], ...(feedback.kind ? { kind: feedback.kind } : {}) };
}

/** Attaches feedback to a recording and labels it accordingly. */
export function applyFeedback(recording: Recording, feedback: Feedback): Recording {
  return { ...recording, feedback: { ...feedback, labels: [...feedback.labels] }, label: labelFromFeedback(recording.recorded.decision, feedback) };
}
