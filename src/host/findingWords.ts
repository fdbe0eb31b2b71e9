// The panel's findings in words: the host turns each finding's evidence into sentences (core evidenceText.ts, as the
// editor's hover and the CLI do) and attaches them (`evidenceText`, protocol/webview.ts ShownFinding) before the
// webview sees the finding; the webview renders them as text. The JSON export leaves them out (raw evidence keys).
import { evidenceSentences } from '../core/evidenceText';
import type { Finding } from '../core/findings';
import type { ModelSpec } from '../core/spec';
import type { TrainerToHostMessage } from '../protocol/training';
import { MAX_EVIDENCE_SENTENCE, MAX_EVIDENCE_SENTENCES, type RunState, type ShownFinding } from '../protocol/webview';

/** A finding with its evidence in sentences (bounded as the webview guard bounds them); `spec` names the layers. */
export function withEvidenceText(f: Finding, spec?: ModelSpec): ShownFinding {
  let text: string[];
  try {
    text = evidenceSentences(f, spec);
  } catch {
    text = []; // a finding whose evidence cannot be put in words keeps its keys (the webview shows those)
  }
  return { ...f, evidenceText: text.slice(0, MAX_EVIDENCE_SENTENCES).map((s) => (s.length > MAX_EVIDENCE_SENTENCE ? `${s.slice(0, MAX_EVIDENCE_SENTENCE - 1)}…` : s)) };
}

/** A training-process message with its findings' evidence in words (probe reports and final findings). */
export function messageWithEvidenceText(msg: TrainerToHostMessage, spec?: ModelSpec): TrainerToHostMessage {
  if (msg.type === 'probe') return { ...msg, report: { ...msg.report, findings: msg.report.findings.map((f) => withEvidenceText(f, spec)) } };
  if (msg.type === 'finished') return { ...msg, findings: msg.findings.map((f) => withEvidenceText(f, spec)) };
  return msg;
}

const bare = (f: ShownFinding): Finding => {
  const { evidenceText: _t, ...rest } = f;
  return rest;
};

/** A run as the JSON export writes it: findings with their raw evidence keys only. */
export function runForExport(run: RunState): RunState {
  return {
    ...run,
    findings: run.findings.map(bare),
    ...(run.latestProbe ? { latestProbe: { ...run.latestProbe, findings: run.latestProbe.findings.map(bare) } } : {}),
  };
}
