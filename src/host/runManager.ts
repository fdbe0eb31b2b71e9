// Owns the training runs of this window: one at a time, each in its own training process
// (trainerProcess.ts). Feeds the panel, the progress notification and the status bar, keeps a record
// of every run for the API that tests use, and turns a dead process into a message the user can act on.
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import type { Finding } from '../core/findings';
import type { BackendInfo, EndEvent, EvalEvent, StartEvent } from '../core/events';
import type { ProbeReport } from '../core/diagnostics/types';
import type { TrainOptions, TrainerProcessMessage, TrainerToHostMessage } from '../protocol/training';
import type { Config } from './config';
import { THRESHOLD_NAMES, unknownThresholdNames } from '../core/diagnostics/thresholds';
import { TrainerProcess, type ProcessOutcome } from './trainerProcess';
import { WarmTrainer } from './warmTrainer';
import { validateSpec } from '../core/spec';
import { checkTrainingMemory, formatBytes } from '../core/memory';
import { type SweepKind, sweepOf } from '../core/sweeps';
import { pickSweepLayer } from './sweepCommands';
import { LIMITS, type RunGroup } from '../protocol/webview';

export type RunStatus = 'starting' | 'running' | 'finished' | 'stopped' | 'error';

/** Everything known about one run; plain data (tests read it through the API). */
export interface RunRecord {
  runId: string;
  label: string;
  /** The spec as requested (unvalidated); `start.spec` is the validated one. */
  spec: unknown;
  sourceFile?: string;
  /** Positions of the file's layers (findings carry `source`); kept so a sweep of this run maps its findings too. */
  source?: TrainOptions['source'];
  compareWithRunId?: string;
  /** Set when the run is one variant of a sweep. */
  group?: RunGroup;
  status: RunStatus;
  /** Why it stopped or failed, for people. */
  message?: string;
  /** 'spec' | 'data' | 'backend' | 'training' | 'process' for errors. */
  errorKind?: string;
  backend?: BackendInfo;
  start?: StartEvent;
  step: number;
  totalSteps?: number;
  lastLoss?: number;
  lastProbe?: ProbeReport;
  finalEval?: EvalEvent;
  end?: EndEvent;
  /** Final findings (or the latest probe's when the run did not finish). */
  findings: Finding[];
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  stderrTail?: string;
  /** Stopped by SIGKILL after the cooperative stop did not land in time. */
  killed?: boolean;
  startedAt: number;
  endedAt?: number;
  /** Warnings the training process sent (e.g. a memory estimate above what the backend or machine has). */
  warnings: string[];
  /** Extension-host time spent handling this run's messages (validation, records, panel): total, largest single message, count. */
  hostMs: { total: number; max: number; messages: number };
}

export interface RunRequest {
  spec: unknown;
  label: string;
  sourceFile?: string;
  /** Where the run differs from the program as written (a file's deviations): shown at the top of the panel. */
  programWarnings?: string[];
  /** For runs of a source file: its layers' positions, so findings carry `source`. */
  source?: TrainOptions['source'];
  compareWithRunId?: string;
  /** One variant of a sweep (startSweep sets it). */
  group?: RunGroup;
  /** What to do when a run is already going: ask (modal), replace it, or refuse with a message. Default ask. */
  ifRunning?: 'ask' | 'replace' | 'refuse';
  /** No "finished" notification of its own (a sweep announces once, at its end). */
  quiet?: boolean;
  /** performance.now() of the command that asked for the run (the click); default: when start() is called. Only for the latency log lines. */
  requestedAt?: number;
}

/** The panel as the run manager sees it (src/host/panel.ts's TrainingPanel implements it). */
export interface RunView {
  beginRun(run: { runId: string; label: string; spec: unknown; compareWithRunId?: string; group?: RunGroup; sourceFile?: string; warnings?: string[] }): void;
  /** Resolves when the panel shows its content (its webview said ready); for the "panel shown N ms after the command" log line. */
  whenReady?(): Promise<void>;
  handleTrainerMessage(msg: TrainerToHostMessage): void;
  endRun(runId: string, outcome: { status: 'finished' | 'stopped' | 'error'; message?: string }): void;
}

/** What the panel calls back ("Re-run with this fix", its Stop button). Same shape as panel.ts's PanelHost. */
export interface RunHost {
  startRun(spec: unknown, label: string, compareWithRunId?: string): void;
  stopRun(runId: string): void;
  setUpNativeBackend(): void;
  startSweep(base: { runId: string; spec: unknown; label: string; sourceFile?: string }, kind: SweepKind, layer?: number): void;
}

export interface RunManagerOptions {
  workerPath: string;
  config: Config;
  log: vscode.LogOutputChannel;
  /** Opens (or reveals) the panel; undefined when no panel is available. */
  openView: (host: RunHost) => RunView | undefined;
  /** The panel if it is open, without opening it. */
  currentView: () => RunView | undefined;
  /** Where runs load @tensorflow/tfjs-node from (setting, else the set-up's installation); undefined: next to the bundle. */
  nativeBackendPath?: () => string | undefined;
}

const PROGRESS_EVERY_MS = 250;
/** Step events kept for replaying a run into a reopened panel; every other message is always kept. */
const MAX_REPLAY_STEPS = 20_000;
const MAX_RUNS_KEPT = 50;

interface ActiveRun {
  record: RunRecord;
  process: TrainerProcess;
  done: Promise<RunRecord>;
  replay: TrainerToHostMessage[];
  /** A sweep: every variant's record and replay, all fed by `process` (record / replay above are the first's). */
  variants?: { record: RunRecord; replay: TrainerToHostMessage[] }[];
}

export class RunManager implements RunHost, vscode.Disposable {
  private readonly runs: RunRecord[] = [];
  private active: ActiveRun | undefined;
  /** The latest ended runs (at most LIMITS.maxRuns), replayed into a reopened panel so it shows the window's runs. */
  private replays: { record: RunRecord; messages: TrainerToHostMessage[] }[] = [];
  private disposed = false;
  private seq = 0;
  /** One training process prepared ahead (gradientLens.trainingProcess.prepareAhead); never while a run is starting or training. */
  private readonly warm: WarmTrainer;
  private launching = false;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly didStart = new vscode.EventEmitter<RunRecord>();
  private readonly didEnd = new vscode.EventEmitter<RunRecord>();
  private readonly didStep = new vscode.EventEmitter<RunRecord>();
  readonly onDidStartRun = this.didStart.event;
  readonly onDidEndRun = this.didEnd.event;
  /** Fired at most every PROGRESS_EVERY_MS while a run trains. */
  readonly onDidProgress = this.didStep.event;

  constructor(private readonly o: RunManagerOptions) {
    this.statusItem = vscode.window.createStatusBarItem('gradientLens.run', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'Gradient Lens training';
    this.statusItem.command = 'gradientLens.showPanel';
    this.warm = new WarmTrainer({ workerPath: o.workerPath, log: this.processLog });
  }

  /** A training process's own lines (stderr, libtensorflow's notices, malformed messages) into the log at their level. */
  private readonly processLog = (line: string, level?: 'info' | 'warning' | 'error'): void => {
    if (level === 'info') this.o.log.info(line);
    else if (level === 'error') this.o.log.error(line);
    else this.o.log.warn(line);
  };

  /** What a training process is told from the settings (a run adds its file's `source`); prepared ahead with the same. */
  private trainOptions(source?: TrainOptions['source']): TrainOptions {
    const c = this.o.config;
    return {
      backend: c.backend, dataDir: c.dataFolder, probeEvery: c.probeEvery, evalEvery: c.evalEvery, thresholds: c.thresholds, shuffle: c.shuffle, source,
      nativeBackendPath: this.o.nativeBackendPath?.(), nativeThreads: c.nativeThreads || undefined,
    };
  }

  /** The process prepared ahead, when it loaded what `options` need (else it is killed and the caller forks its own). */
  private takeSpare(options: TrainOptions): ReturnType<WarmTrainer['take']> {
    const c = this.o.config;
    if (c.prepareAhead) return this.warm.take(options, c.maxMemoryMb);
    this.warm.clear('gradientLens.trainingProcess.prepareAhead is off');
    return undefined;
  }

  /**
   * A trigger (a model file is open, the panel is shown, a run ended with the panel open): makes sure a training
   * process with MNIST and the backend loaded is ready for the next run, unless one is starting or training (that
   * would double the memory while it trains), gradientLens.trainingProcess.prepareAhead is off, or the workspace is
   * untrusted and sets what a training process loads.
   */
  prepareAhead(reason: string): void {
    if (this.disposed || this.active || this.launching) return;
    const c = this.o.config;
    if (!c.prepareAhead) {
      this.warm.clear('gradientLens.trainingProcess.prepareAhead is off');
      return;
    }
    if (!vscode.workspace.isTrusted && c.workspaceSetsTrainingProcess) return;
    this.warm.prepare(this.trainOptions(), c.maxMemoryMb, reason);
  }

  /** Settings changed: a spare prepared for the old ones is replaced (or killed when preparing ahead was turned off); none is started. */
  settingsChanged(): void {
    if (this.warm.pid !== undefined) this.prepareAhead('the settings changed');
  }

  /** PanelHost: the panel became visible. */
  panelShown(): void {
    this.prepareAhead('the panel is shown');
  }

  get allRuns(): readonly RunRecord[] {
    return this.runs;
  }

  get currentRun(): RunRecord | undefined {
    return this.active?.record;
  }

  get trainingProcessPid(): number | undefined {
    return this.active?.process.pid;
  }

  /** RunHost (the panel's "Re-run with this fix"): fire and forget; startRun shows failures itself. */
  startRun(spec: unknown, label: string, compareWithRunId?: string): void {
    void this.start({ spec, label, compareWithRunId, ifRunning: 'ask' });
  }

  /** RunHost (the panel header's offer): the set-up command, with its own UI. */
  setUpNativeBackend(): void {
    void vscode.commands.executeCommand('gradientLens.setUpNativeBackend');
  }

  /** PanelHost.log: what the panel dropped or failed at. */
  log(message: string): void {
    this.o.log.warn(`[panel] ${message}`);
  }

  stopRun(runId?: string): boolean {
    const a = this.active;
    if (!a || (runId !== undefined && a.record.runId !== runId && !a.variants?.some((v) => v.record.runId === runId))) return false;
    // A sweep's variants train in one process (one loop when together): stopping one stops them all.
    this.o.log.info(a.variants ? `stopping the sweep ${a.variants.map((v) => v.record.runId).join(', ')} (one training process: every variant stops)` : `stopping run ${a.record.runId}`);
    a.process.stop();
    return true;
  }

  /** Opens the panel and shows the window's latest runs in it (replayed) when the panel was closed. */
  showPanel(): RunView | undefined {
    const existing = this.o.currentView();
    const view = this.o.openView(this);
    if (!view || existing) return view;
    const going = this.active ? this.active.variants ?? [{ record: this.active.record, replay: this.active.replay }] : [];
    const all = [...this.replays, ...going.map((v) => ({ record: v.record, messages: v.replay }))];
    for (const { record: r, messages } of all) {
      view.beginRun({ runId: r.runId, label: r.label, spec: r.spec, compareWithRunId: r.compareWithRunId, group: r.group, sourceFile: r.sourceFile });
      for (const m of messages) view.handleTrainerMessage(m);
      if (r.status === 'finished' || r.status === 'stopped' || r.status === 'error') view.endRun(r.runId, { status: r.status, message: r.message });
    }
    return view;
  }

  /** RunHost (a finding's or the panel header's "Compare …"): fire and forget; failures are shown. */
  startSweep(base: { runId: string; spec: unknown; label: string; sourceFile?: string }, kind: SweepKind, layer?: number): void {
    const checked = validateSpec(base.spec);
    const chosen = checked.ok ? pickSweepLayer(checked.spec, kind, base.label, layer) : Promise.resolve(layer);
    void chosen.then((l) => (l === null ? [] : this.sweepRuns(base, kind, l))).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      this.o.log.warn(`sweep of ${base.label}: ${message}`);
      void vscode.window.showErrorMessage(`Gradient Lens: cannot compare variants of "${base.label}": ${message}`);
    });
  }

  /**
   * "Compare initialisations / learning rates / activations": the variants (core/sweeps.ts) begin in the panel at
   * once, as a group, and train together in ONE training process (startSweep: one loop, core/sweep.ts; one after
   * another inside that process where they cannot be batched identically — momentum, Adam, dropout — and the
   * notification says why). Each variant is an ordinary run record. Stop on any variant, or starting another run,
   * stops the whole sweep: its variants share one loop. Resolves with the variants' records (empty when the sweep
   * did not start: refused, or the run going on was kept).
   */
  async sweepRuns(base: { runId?: string; spec: unknown; label: string; sourceFile?: string }, kind: SweepKind, layer?: number): Promise<RunRecord[]> {
    const checked = validateSpec(base.spec);
    if (!checked.ok) throw new Error(`its model spec is not valid (${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ').slice(0, 300)})`);
    const sweep = sweepOf(checked.spec, kind, layer);
    const from = base.runId ? this.runs.find((r) => r.runId === base.runId) : undefined;
    const id = `sweep-${Date.now().toString(36)}-${++this.seq}`;
    const stem = base.label.split(' · ')[0];
    const size = sweep.variants.length;
    const reqs: RunRequest[] = sweep.variants.map((v, index) => ({
      spec: v.spec, label: `${stem} · ${v.label}`, quiet: true,
      group: { id, title: sweep.title, variant: v.label, index, size, change: v.change },
      // Only the variant "as written" is the file's program: its findings land on the file's lines; the
      // others' would describe code that is not there.
      ...(v.asWritten ? { sourceFile: base.sourceFile ?? from?.sourceFile, source: from?.source } : {}),
    }));
    const first = reqs[0];
    if (!(await this.makeRoomFor(first.label, sweep.title, reqs))) return [];
    this.o.log.info(`${sweep.title} of "${base.label}": ${size} variants in one training process (${sweep.variants.map((v) => v.label).join(', ')})`);
    const { records, how } = await this.launchSweep(sweep.title, reqs);
    // Nothing trained (no MNIST, no backend, a crash): the error message of launchSweep says so; no summary.
    if (records.some((r) => r.status !== 'error') && !this.disposed) {
      const rows = records.map((r) => `${r.group?.variant ?? r.label} ${r.end ? r.end.testAccuracy.toFixed(4) : r.status}`);
      const ended = records.filter((r) => r.status === 'finished').length;
      const count = ended === size ? `${size} variants` : `${ended} of ${size} variants`;
      const text = how.together ? `${count} trained together` : `${count} trained one after another: ${how.reason ?? 'they could not be batched'}`;
      this.o.log.info(`${sweep.title}: ${text} (${rows.join(' · ')})`);
      void vscode.window.showInformationMessage(`Gradient Lens: ${sweep.title} — ${text}: ${rows.join(' · ')}`, 'Show Panel').then((pick) => {
        if (pick === 'Show Panel') this.showPanel();
      });
    }
    return records;
  }

  /**
   * Before a sweep: the memory estimate (as `start` checks a run's; the variants share the architecture), and the
   * run going on — asked about (modal) and stopped when the person agrees. False: the sweep does not start.
   */
  private async makeRoomFor(label: string, title: string, reqs: RunRequest[]): Promise<boolean> {
    if (!(await this.memoryAllows(reqs[0]))) return false;
    return this.stopActive(`Stop it and train the ${reqs.length} variants of "${title}" (${label}) instead? Only one run or sweep trains at a time.`);
  }

  /** How a message names the run or sweep going on ("…" or The sweep "…" (N variants in one loop)) and its step. */
  private activeText(): { what: string; where: string } {
    const a = this.active!;
    const cur = a.record;
    // A sweep trains as one: its title, and stopping it stops every variant.
    const what = a.variants && cur.group ? `The sweep "${cur.group.title}" (${a.variants.length} variants in one loop)` : `"${cur.label}"`;
    return { what, where: cur.totalSteps ? ` (step ${cur.step}/${cur.totalSteps})` : '' };
  }

  /**
   * Room for a new run or sweep: the one going on, if any, stopped and waited for — after a modal question with
   * `detail` when there is one (a person started it), at once otherwise (code asked to replace it). False: it was
   * kept (the person said no), or someone started another meanwhile.
   */
  private async stopActive(detail: string | undefined): Promise<boolean> {
    if (!this.active) return true;
    if (detail !== undefined) {
      const { what, where } = this.activeText();
      const replace = 'Stop It and Start New';
      const pick = await vscode.window.showWarningMessage(`${what} is still training${where}.`, { modal: true, detail }, replace);
      if (pick !== replace) return false;
    }
    const prev = this.active;
    if (prev) {
      prev.process.stop();
      await prev.done;
    }
    return !this.active;
  }

  /**
   * The variants of a sweep as K run records fed by ONE training process (startSweep): each message goes to its
   * variant's record and the panel; one progress notification and the status bar show the sweep
   * ("Compare initialisations: step N / M, 6 variants together").
   */
  private launchSweep(title: string, reqs: RunRequest[]): Promise<{ records: RunRecord[]; how: { together: boolean; reason?: string } }> {
    const c = this.o.config;
    const records = reqs.map((req): RunRecord => ({
      runId: `run-${Date.now().toString(36)}-${++this.seq}`, label: req.label, spec: req.spec, sourceFile: req.sourceFile, source: req.source, group: req.group,
      status: 'starting', step: 0, findings: [], warnings: [], startedAt: Date.now(), hostMs: { total: 0, max: 0, messages: 0 },
    }));
    this.runs.push(...records);
    if (this.runs.length > MAX_RUNS_KEPT) this.runs.splice(0, this.runs.length - MAX_RUNS_KEPT);
    const byId = new Map(records.map((r) => [r.runId, { record: r, replay: [] as TrainerToHostMessage[], steps: 0 }]));
    const asWritten = reqs.findIndex((r) => r.group?.change === '');
    const options = this.trainOptions(asWritten >= 0 ? reqs[asWritten].source : undefined);
    this.o.log.info(`sweep ${records.map((r) => r.runId).join(', ')}: starting one training process (backend ${options.backend}, data ${options.dataDir ?? 'embedded'}, probe every ${options.probeEvery})`);
    const view = c.openPanelOnStart ? this.o.openView(this) : this.o.currentView();
    for (const r of records) view?.beginRun({ runId: r.runId, label: r.label, spec: r.spec, group: r.group, sourceFile: r.sourceFile });

    const how: { together: boolean; reason?: string } = { together: true };
    let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let reported = 0;
    let lastReport = 0;
    const lead = records[0];
    const sweepText = (): string => `${records.length} variants ${how.together ? 'together' : 'one after another'}`;
    const report = (force = false): void => {
      const now = Date.now();
      if (!force && now - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = now;
      // The sweep's step: the slowest variant's (together, they are all at the same step).
      const going = records.filter((r) => r.start && !r.end);
      const total = Math.max(0, ...records.map((r) => r.totalSteps ?? 0));
      const step = going.length ? Math.min(...going.map((r) => r.step)) : total;
      const pct = total ? (100 * step) / total : 0;
      progress?.report({ increment: pct - reported, message: total ? `step ${step}/${total}, ${sweepText()}` : undefined });
      reported = pct;
      this.showSweepStatus(title, step, total, sweepText());
      this.didStep.fire(lead);
    };
    const onMessage = (m: TrainerProcessMessage): void => {
      const v = byId.get(m.runId);
      if (!v) return;
      const t0 = performance.now();
      if (m.type === 'status') progress?.report({ message: m.message });
      else if (m.type === 'sweep') {
        how.together = m.together;
        if (m.reason) how.reason = m.reason;
        this.o.log.info(`${title}: ${m.groups ? 'trained' : 'training'} ${sweepText()}${m.reason ? ` (${m.reason})` : ''}${m.groups ? `; first layers in ${m.groups.length} shared product(s)` : ''}`);
        report(true);
      } else if (m.type === 'warning') {
        this.o.log.warn(`run ${m.runId}: ${m.message}`);
        v.record.warnings.push(m.message);
        void vscode.window.showWarningMessage(`Gradient Lens: "${v.record.label}" may not be trainable here: ${m.message}`, 'Stop the Sweep').then((pick) => {
          if (pick === 'Stop the Sweep') this.stopRun(m.runId);
        });
      } else {
        const isStep = m.type === 'event' && m.event.type === 'step';
        if (!isStep || v.steps++ < MAX_REPLAY_STEPS) v.replay.push(m);
        this.o.currentView()?.handleTrainerMessage(m);
        applyToRecord(v.record, m);
        if (m.type === 'event' && m.event.type === 'start') this.o.log.info(`run ${m.runId}: training ${m.event.totalSteps} steps on ${m.event.backend.name}`);
        if (isStep || (m.type === 'event' && m.event.type === 'start')) report(m.type === 'event' && m.event.type === 'start');
      }
      countHostMs(v.record, performance.now() - t0);
    };

    // A sweep, like a run, starts in the process prepared ahead when it loaded what the sweep needs.
    const child = this.takeSpare(options);
    if (child) this.o.log.info(`sweep ${lead.runId}…: in the training process prepared ahead (pid ${child.pid})`);
    const proc = new TrainerProcess({
      workerPath: this.o.workerPath, runId: lead.runId, spec: undefined, options, maxMemoryMb: c.maxMemoryMb, onMessage,
      sweep: { runIds: records.map((r) => r.runId), specs: reqs.map((r) => r.spec), labels: reqs.map((r) => r.group?.variant ?? r.label), asWritten },
      log: this.processLog,
      ...(child ? { child } : {}),
    });
    for (const r of records) r.pid = proc.pid;
    this.showSweepStatus(title, 0, 0, sweepText());
    this.statusItem.show();

    const done = proc.done.then((whole) => {
      for (const r of records) {
        this.settle(r, proc.variantOutcome(r.runId, whole));
        if (r.status === 'stopped') r.message = `${r.message} (a sweep stops as a whole: its ${records.length} variants train in one process)`;
      }
      if (this.active?.process === proc) {
        this.active = undefined;
        void vscode.commands.executeCommand('setContext', 'gradientLens.training', false);
      }
      for (const { record, replay } of byId.values()) this.replays.push({ record, messages: replay });
      if (this.replays.length > LIMITS.maxRuns) this.replays.splice(0, this.replays.length - LIMITS.maxRuns);
      if (this.disposed) return { records, how };
      this.statusItem.hide();
      // One error message per cause: what ends the loop (no MNIST, no backend, a crash) ends every variant.
      const told = new Set<string>();
      for (const r of records) {
        this.o.currentView()?.endRun(r.runId, { status: r.status as 'finished' | 'stopped' | 'error', message: r.message });
        if (r.status === 'error' && !told.has(r.message ?? '')) {
          told.add(r.message ?? '');
          this.announce(r);
        }
        this.didEnd.fire(r);
      }
      return { records, how };
    });
    const variants = [...byId.values()].map(({ record, replay }) => ({ record, replay }));
    this.active = { record: lead, process: proc, done: done.then(() => lead), replay: variants[0].replay, variants };
    void vscode.commands.executeCommand('setContext', 'gradientLens.training', true);
    for (const r of records) this.didStart.fire(r);

    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Gradient Lens: ${title}`, cancellable: true },
      (p, token) => {
        progress = p;
        p.report({ message: `Starting one training process for ${records.length} variants…` });
        token.onCancellationRequested(() => this.stopRun(lead.runId));
        return done;
      },
    );
    return done;
  }

  /** Status bar while a sweep trains: "Compare initialisations: step N / M, 6 variants together". */
  private showSweepStatus(title: string, step: number, total: number, how: string): void {
    const text = `${title.replace(/ of .*$| \(.*$/, '')}: ${total ? `step ${step} / ${total}, ` : ''}${how}`;
    this.statusItem.text = `$(loading~spin) ${text}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Gradient Lens** is training ');
    tooltip.appendText(`${title}: ${how} in one training process`);
    tooltip.appendMarkdown(total ? `\n\nstep ${step} of ${total}` : '\n\nstarting the training process');
    tooltip.appendMarkdown('\n\nClick to show the panel; **Stop Training** or Cancel on the notification stops every variant (one training process).');
    this.statusItem.tooltip = tooltip;
    this.statusItem.accessibilityInformation = { label: `Gradient Lens training ${text}` };
  }

  /** Resolves when the run has ended (or undefined when it never started: refused or cancelled). */
  async start(req: RunRequest): Promise<RunRecord | undefined> {
    req = { ...req, requestedAt: req.requestedAt ?? performance.now() };
    if (!(await this.memoryAllows(req))) return undefined;
    if (this.active) {
      const policy = req.ifRunning ?? 'ask';
      if (policy === 'refuse') {
        const { what, where } = this.activeText();
        void vscode.window.showInformationMessage(`Gradient Lens: ${what} is still training${where}. Stop it first to start "${req.label}".`);
        return undefined;
      }
      if (!(await this.stopActive(policy === 'ask' ? `Stop it and train "${req.label}" instead? Only one run trains at a time.` : undefined))) return undefined;
    }
    return this.launch(req);
  }

  /**
   * A spec that needs more memory than the backend or the machine has (16 × 4096 units, a batch of
   * 60,000 through wide layers) would run for minutes and end in wasm's Aborted(): say so with the
   * figures first. Started by a person (ifRunning ask, the default): a modal warning lets them train it
   * anyway. Started by code (ifRunning replace / refuse: tests, other extensions), which cannot answer:
   * not started, with the warning. `auto` is judged as wasm, what the extension has without tfjs-node;
   * the training process warns again for the backend it actually loads.
   */
  private async memoryAllows(req: RunRequest): Promise<boolean> {
    const parsed = validateSpec(req.spec);
    if (!parsed.ok) return true; // the training process reports the problems
    const c = this.o.config;
    const backend = c.backend === 'auto' ? 'wasm' : c.backend;
    const mem = checkTrainingMemory(parsed.spec, backend, { probing: c.probeEvery > 0, shuffle: c.shuffle });
    if (mem.ok) return true;
    const text = `"${req.label}" may not be trainable here: ${mem.message}`;
    this.o.log.warn(`memory estimate: ${text}`);
    if (req.ifRunning === 'replace' || req.ifRunning === 'refuse') {
      void vscode.window.showWarningMessage(`Gradient Lens: ${text} It was not started.`);
      return false;
    }
    const anyway = 'Train Anyway';
    const pick = await vscode.window.showWarningMessage(`Gradient Lens: "${req.label}" needs about ${formatBytes(mem.estimate.totalBytes)} of memory, more than the ${mem.limit} allows (${formatBytes(mem.limitBytes)}).`, { modal: true, detail: mem.message }, anyway);
    if (pick === anyway) this.o.log.warn(`memory estimate: "${req.label}" started anyway`);
    return pick === anyway;
  }

  private launch(req: RunRequest): Promise<RunRecord> {
    const c = this.o.config;
    const runId = `run-${Date.now().toString(36)}-${++this.seq}`;
    const record: RunRecord = {
      runId, label: req.label, spec: req.spec, sourceFile: req.sourceFile, source: req.source, compareWithRunId: req.compareWithRunId, group: req.group,
      status: 'starting', step: 0, findings: [], warnings: [], startedAt: Date.now(), hostMs: { total: 0, max: 0, messages: 0 },
    };
    this.runs.push(record);
    if (this.runs.length > MAX_RUNS_KEPT) this.runs.splice(0, this.runs.length - MAX_RUNS_KEPT);
    const options = this.trainOptions(req.source);
    const unknownThresholds = unknownThresholdNames(options.thresholds);
    const nonNumeric = c.nonNumericThresholds;
    const problems = [
      ...(unknownThresholds.length ? [`unknown name(s) ${unknownThresholds.join(', ')} ignored (known: ${THRESHOLD_NAMES.join(', ')})`] : []),
      ...(nonNumeric.length ? [`${nonNumeric.join(', ')} ignored: a threshold must be a number`] : []),
    ];
    if (problems.length) {
      const msg = `gradientLens.thresholds: ${problems.join('; ')}`;
      this.o.log.warn(msg);
      void vscode.window.showWarningMessage(`Gradient Lens: ${msg}`);
    }
    this.o.log.info(`run ${runId} "${req.label}": starting (backend ${options.backend}, data ${options.dataDir ?? 'embedded'}, probe every ${options.probeEvery}${options.nativeBackendPath ? `, tfjs-node from ${options.nativeBackendPath}` : ''})`);

    // The panel before anything slow (no trigger to prepare a process ahead meanwhile: this run takes the spare, if any).
    const clicked = req.requestedAt ?? performance.now();
    this.launching = true;
    let view: RunView | undefined;
    try {
      view = c.openPanelOnStart ? this.o.openView(this) : this.o.currentView();
    } finally {
      this.launching = false;
    }
    view?.beginRun({ runId, label: req.label, spec: req.spec, compareWithRunId: req.compareWithRunId, group: req.group, sourceFile: req.sourceFile, warnings: req.programWarnings });
    if (view) {
      this.o.log.info(`run ${runId}: panel opened ${Math.round(performance.now() - clicked)} ms after the command`);
      void view.whenReady?.().then(() => this.o.log.info(`run ${runId}: panel shown ${Math.round(performance.now() - clicked)} ms after the command`));
    }
    let firstStep = true;

    const replay: TrainerToHostMessage[] = [];
    let replaySteps = 0;
    let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let reported = 0;
    let lastReport = 0;
    const report = (force = false): void => {
      const now = Date.now();
      if (!force && now - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = now;
      const total = record.totalSteps ?? 0;
      const pct = total ? (100 * record.step) / total : 0;
      const loss = record.lastLoss === undefined ? '' : ` · loss ${record.lastLoss.toFixed(4)}`;
      const message = total ? `step ${record.step}/${total}${loss}` : undefined;
      progress?.report({ increment: pct - reported, message });
      reported = pct;
      this.showStatus(record);
      this.didStep.fire(record);
    };

    const onMessage = (m: TrainerProcessMessage): void => {
      const t0 = performance.now();
      handle(m);
      countHostMs(record, performance.now() - t0);
    };
    const handle = (m: TrainerProcessMessage): void => {
      if (m.type === 'sweep') return; // only a sweep's process sends it (launchSweep)
      if (m.type === 'status') {
        progress?.report({ message: m.message });
        return;
      }
      if (m.type === 'warning') {
        // E.g. the spec needs more memory than the backend or the machine has: say so with the
        // figures while it trains (it may still work), and offer to stop it.
        this.o.log.warn(`run ${runId}: ${m.message}`);
        record.warnings.push(m.message);
        void vscode.window.showWarningMessage(`Gradient Lens: "${req.label}" may not be trainable here: ${m.message}`, 'Stop Training').then((pick) => {
          if (pick === 'Stop Training') this.stopRun(runId);
        });
        return;
      }
      // Past the cap only step events are dropped, so a replay still ends with the final evaluation,
      // probes and findings of a long run.
      const isStep = m.type === 'event' && m.event.type === 'step';
      if (!isStep || replaySteps++ < MAX_REPLAY_STEPS) replay.push(m);
      // The panel open now (it may have been closed, or reopened and replayed, since the run began).
      this.o.currentView()?.handleTrainerMessage(m);
      applyToRecord(record, m);
      if (m.type !== 'event') return;
      const e = m.event;
      if (e.type === 'start') {
        this.o.log.info(`run ${runId}: training ${e.totalSteps} steps on ${e.backend.name}${e.backend.skipped.length ? ` (skipped ${e.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`);
        report(true);
      } else if (e.type === 'step') {
        if (firstStep) {
          firstStep = false;
          this.o.log.info(`run ${runId}: first step ${Math.round(performance.now() - clicked)} ms after the command (${ahead ? 'in a training process prepared ahead' : 'in a training process started for it'})`);
        }
        report();
      }
    };

    // The process prepared ahead when it loaded what this run needs (else it is killed and this run forks its own).
    const child = this.takeSpare(options);
    const ahead = child !== undefined;
    if (ahead) this.o.log.info(`run ${runId}: in the training process prepared ahead (pid ${child.pid})`);
    const proc = new TrainerProcess({
      workerPath: this.o.workerPath, runId, spec: req.spec, options, maxMemoryMb: c.maxMemoryMb, onMessage,
      log: this.processLog,
      ...(child ? { child } : {}),
    });
    record.pid = proc.pid;
    this.showStatus(record);
    this.statusItem.show();

    const done = proc.done.then((outcome) => {
      this.settle(record, outcome);
      if (this.active?.record === record) {
        this.active = undefined;
        void vscode.commands.executeCommand('setContext', 'gradientLens.training', false);
      }
      this.replays.push({ record, messages: replay });
      if (this.replays.length > LIMITS.maxRuns) this.replays.splice(0, this.replays.length - LIMITS.maxRuns);
      if (this.disposed) return record; // the extension is shutting down: no UI, no announcement
      this.statusItem.hide();
      this.o.currentView()?.endRun(runId, { status: record.status as 'finished' | 'stopped' | 'error', message: record.message });
      if (!req.quiet || record.status === 'error') this.announce(record);
      this.didEnd.fire(record);
      // The panel is open: the next run (a fix, a re-run) is likely; its process is prepared now the memory is free.
      if (this.o.currentView()) this.prepareAhead('a run ended with the panel open');
      return record;
    });
    this.active = { record, process: proc, done, replay };
    void vscode.commands.executeCommand('setContext', 'gradientLens.training', true);
    this.didStart.fire(record);

    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Gradient Lens: ${req.label}`, cancellable: true },
      (p, token) => {
        progress = p;
        p.report({ message: 'Starting the training process…' });
        token.onCancellationRequested(() => this.stopRun(runId));
        return done;
      },
    );
    return done;
  }

  /** Status bar while a run trains: its step and latest training loss; a click opens the panel. */
  private showStatus(r: RunRecord): void {
    const total = r.totalSteps;
    const step = total ? ` ${r.step}/${total}` : '';
    const loss = r.lastLoss === undefined ? '' : ` · loss ${r.lastLoss.toFixed(3)}`;
    this.statusItem.text = `$(loading~spin) ${r.label}${step}${loss}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Gradient Lens** is training ');
    tooltip.appendText(r.label);
    tooltip.appendMarkdown(total ? `\n\nstep ${r.step} of ${total}` : '\n\nstarting the training process');
    if (r.lastLoss !== undefined) tooltip.appendMarkdown(` · training loss ${r.lastLoss.toFixed(4)}`);
    if (r.backend) tooltip.appendMarkdown(` · backend ${r.backend.name}`);
    tooltip.appendMarkdown('\n\nClick to show the panel; **Stop Training** or Cancel on the notification stops it.');
    this.statusItem.tooltip = tooltip;
    this.statusItem.accessibilityInformation = { label: `Gradient Lens training ${r.label}${total ? `, step ${r.step} of ${total}` : ''}${r.lastLoss === undefined ? '' : `, loss ${r.lastLoss.toFixed(3)}`}` };
  }

  private settle(record: RunRecord, outcome: ProcessOutcome): void {
    record.endedAt = Date.now();
    switch (outcome.status) {
      case 'finished':
        record.status = 'finished';
        record.findings = outcome.findings;
        break;
      case 'stopped':
        record.status = 'stopped';
        record.killed = outcome.killed;
        if (outcome.findings) record.findings = outcome.findings;
        record.message = outcome.killed
          ? `stopped: the training process did not stop in time and was killed at step ${record.step}`
          : `stopped at step ${record.step}${record.totalSteps ? ` of ${record.totalSteps}` : ''}`;
        break;
      case 'error':
        record.status = 'error';
        record.message = outcome.message;
        record.errorKind = outcome.kind;
        record.exitCode = outcome.exitCode;
        record.signal = outcome.signal;
        record.stderrTail = outcome.stderrTail;
        break;
    }
    const acc = record.end ? ` · test accuracy ${record.end.testAccuracy.toFixed(4)}` : '';
    const ms = record.endedAt - record.startedAt;
    this.o.log.info(`run ${record.runId} "${record.label}": ${record.status}${acc} · ${record.findings.length} finding(s) · ${ms} ms${record.message ? ` · ${record.message}` : ''}`);
    if (record.stderrTail && record.status === 'error') this.o.log.error(`stderr of the training process:\n${record.stderrTail}`);
  }

  private announce(r: RunRecord): void {
    if (r.status === 'error') {
      const what = r.errorKind === 'settings' ? 'has a bad setting' : r.errorKind === 'spec' ? 'cannot train this model' : r.errorKind === 'data' ? 'cannot read MNIST' : r.errorKind === 'backend' ? 'no usable TensorFlow.js backend' : 'training failed';
      void vscode.window.showErrorMessage(`Gradient Lens: "${r.label}" ${what}: ${r.message}`, 'Show Log').then((pick) => {
        if (pick === 'Show Log') this.o.log.show(true);
      });
      return;
    }
    if (r.status === 'finished' && r.end) {
      const codes = [...new Set(r.findings.map((f) => f.code))];
      const summary = codes.length ? `${r.findings.length} finding(s): ${codes.join(', ')}` : 'no findings';
      void vscode.window.showInformationMessage(`Gradient Lens: "${r.label}" test accuracy ${r.end.testAccuracy.toFixed(4)} · ${summary}`, 'Show Panel').then((pick) => {
        if (pick === 'Show Panel') this.showPanel();
      });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.active?.process.kill();
    this.warm.dispose();
    this.statusItem.dispose();
    this.didStart.dispose();
    this.didEnd.dispose();
    this.didStep.dispose();
  }
}

/** A trainer message's effect on its run's record: status, step, loss, evaluations, probes, findings. */
/** Where the extension host's time on a run's messages went (RunRecord.hostMs). */
function countHostMs(record: RunRecord, ms: number): void {
  record.hostMs.total += ms;
  record.hostMs.messages++;
  if (ms > record.hostMs.max) record.hostMs.max = ms;
}

function applyToRecord(record: RunRecord, m: TrainerToHostMessage): void {
  if (m.type === 'probe') {
    record.lastProbe = m.report;
    record.findings = m.report.findings;
  } else if (m.type === 'finished') {
    record.findings = m.findings;
  } else {
    const e = m.event;
    if (e.type === 'start') {
      record.status = 'running';
      record.start = e;
      record.backend = e.backend;
      record.totalSteps = e.totalSteps;
    } else if (e.type === 'step') {
      record.step = e.step;
      record.lastLoss = e.loss;
    } else if (e.type === 'eval' && e.final) {
      record.finalEval = e;
    } else if (e.type === 'end') {
      record.end = e;
    }
  }
}
