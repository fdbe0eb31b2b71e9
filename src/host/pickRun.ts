// "Train MNIST MLP": what to train. A QuickPick of "Model in <file>" when the active editor (or, when no
// text editor is active — e.g. the Get Started page has focus — a visible one) holds a model file the
// importers can read, the built-in presets (seed runs, healthy baselines), the example programs (opened
// as editable files, then trained from the file) and "Custom…" (a short sequence of validated inputs).
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { PRESETS, type Preset } from '../core/presets';
import {
  ACTIVATIONS, NAMED_INITIALIZERS, OPTIMIZERS, describeArchitecture, validateSpec, MAX_UNITS,
  type Activation, type NamedInitializer, type OptimizerType,
} from '../core/spec';
import type { ImportResult } from '../core/importers/types';
import { EXAMPLES, type Example } from '../core/examples';
import type { ReadOutcome } from './readerClient';
import { stoppedMessage } from './editorDiagnostics';
import { problemsText } from '../core/specText';

export interface RunChoice {
  spec: unknown;
  label: string;
  sourceFile?: string;
  /** Where the run differs from the program as written (the reader's deviations). */
  programWarnings?: string[];
}

interface Item extends vscode.QuickPickItem {
  choose?: () => Promise<RunChoice | undefined> | RunChoice | undefined;
}

/** How a document's model is read: the editor features' cached read in the reader process (editorDiagnostics.ts). */
export type ReadDocument = (doc: vscode.TextDocument) => Promise<ReadOutcome>;

/** A run from a document's model, or a message saying why it cannot be trained. */
export function choiceFromDocument(doc: vscode.TextDocument, outcome: ReadOutcome): RunChoice | string {
  const name = basename(doc.fileName);
  if (!outcome.ok) return stoppedMessage(outcome, name);
  const imported = outcome.result;
  if (!imported) return `${name} does not define a model Gradient Lens can read (TF1-style Python, Keras, PyTorch, tfjs or a JSON spec).`;
  if (!imported.spec.ok) return `the model in ${name} cannot be trained: ${problemsText(imported.spec.problems)}`;
  const programWarnings = (imported.deviations ?? []).map((d) => `line ${d.range.line}: ${d.message}`);
  return { spec: imported.spec.spec, label: name, sourceFile: doc.uri.fsPath, ...(programWarnings.length ? { programWarnings } : {}) };
}

function presetItem(p: Preset): Item {
  return { label: p.id, description: describeArchitecture(p.spec), detail: p.description, choose: () => ({ spec: p.spec, label: p.id }) };
}

/** The document "Model in <file>" offers: the active editor's, else the first visible editor's that holds a model. */
async function modelDocument(read: ReadDocument): Promise<{ doc: vscode.TextDocument; outcome: ReadOutcome; imported: ImportResult } | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  const candidates = active ? [active] : vscode.window.visibleTextEditors.map((e) => e.document);
  for (const doc of candidates) {
    const outcome = await read(doc);
    if (outcome.ok && outcome.result) return { doc, outcome, imported: outcome.result };
  }
  return undefined;
}

/** Opens an example as an editable file (host/examples.ts) and resolves to its document. */
export type OpenExample = (example: Example) => Promise<vscode.TextDocument>;

export async function pickRun(read: ReadDocument, openExample?: OpenExample): Promise<RunChoice | undefined> {
  const items: Item[] = [];
  const found = vscode.workspace.isTrusted ? await modelDocument(read) : undefined;
  if (found) {
    const { doc, outcome, imported } = found;
    const c = choiceFromDocument(doc, outcome);
    items.push({ kind: vscode.QuickPickItemKind.Separator, label: doc === vscode.window.activeTextEditor?.document ? 'Active editor' : 'Open editor' });
    items.push({
      label: `$(file-code) Model in ${basename(doc.fileName)}`,
      description: imported.spec.ok ? describeArchitecture(imported.spec.spec) : 'cannot be trained',
      detail: typeof c === 'string' ? c : `${imported.language} · findings land on its lines`,
      choose: () => {
        if (typeof c === 'string') {
          void vscode.window.showErrorMessage(`Gradient Lens: ${c}`);
          return undefined;
        }
        return c;
      },
    });
  }
  items.push({ kind: vscode.QuickPickItemKind.Separator, label: 'Seed runs (the question this tool answers)' });
  items.push(...PRESETS.filter((p) => p.seed).map(presetItem));
  items.push({ kind: vscode.QuickPickItemKind.Separator, label: 'Healthy baselines and teaching cases' });
  items.push(...PRESETS.filter((p) => !p.seed).map(presetItem));
  if (openExample && vscode.workspace.isTrusted) {
    items.push({ kind: vscode.QuickPickItemKind.Separator, label: 'Examples (opened as editable files, then trained)' });
    items.push(...EXAMPLES.map((e): Item => ({
      label: `$(book) ${e.title}`, description: e.fileName, detail: e.description,
      choose: async () => {
        const doc = await openExample(e);
        const c = choiceFromDocument(doc, await read(doc));
        if (typeof c === 'string') {
          void vscode.window.showErrorMessage(`Gradient Lens: ${c}`);
          return undefined;
        }
        return c;
      },
    })));
  }
  items.push({ kind: vscode.QuickPickItemKind.Separator, label: '' });
  items.push({ label: '$(settings) Custom…', detail: 'Hidden sizes, activation, initializer, optimizer, learning rate, steps', choose: customRun });

  const picked = await vscode.window.showQuickPick(items, {
    title: 'Gradient Lens: Train MNIST MLP',
    placeHolder: 'Pick a model to train on MNIST',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.choose ? picked.choose() : undefined;
}

const intIn = (min: number, max: number) => (v: string): string | undefined => {
  const n = Number(v.trim());
  return Number.isInteger(n) && n >= min && n <= max ? undefined : `Enter a whole number from ${min} to ${max}.`;
};

/** Validates "100" / "256, 128" / "" (no hidden layer = softmax regression). */
export function parseHiddenSizes(text: string): number[] | string {
  const t = text.trim();
  if (!t) return [];
  const parts = t.split(/[\s,]+/).filter(Boolean);
  if (parts.length > 15) return 'At most 15 hidden layers.';
  const sizes = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(sizes[i]) || sizes[i] < 1 || sizes[i] > MAX_UNITS);
  return bad === undefined ? sizes : `"${bad}" is not a layer size (a whole number from 1 to ${MAX_UNITS}). Example: 256, 128`;
}

export function parseLearningRate(text: string): number | string {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) && n > 0 && n <= 10 ? n : 'Enter a number greater than 0 and at most 10, e.g. 0.5 or 1e-3.';
}

async function customRun(): Promise<RunChoice | undefined> {
  const title = 'Gradient Lens: custom MLP';
  const sizesText = await vscode.window.showInputBox({
    title: `${title} (1/6)`, prompt: 'Hidden layer sizes, comma separated (empty = softmax regression 784 → 10)', value: '100',
    validateInput: (v) => { const r = parseHiddenSizes(v); return typeof r === 'string' ? r : undefined; },
  });
  if (sizesText === undefined) return undefined;
  const sizes = parseHiddenSizes(sizesText) as number[];
  let activation: Activation = 'relu';
  if (sizes.length > 0) {
    const a = await vscode.window.showQuickPick(ACTIVATIONS.filter((x) => x !== 'softmax').map((x) => ({ label: x })), { title: `${title} (2/6)`, placeHolder: 'Activation of the hidden layers' });
    if (!a) return undefined;
    activation = a.label as Activation;
  }
  const initItems = [
    ...NAMED_INITIALIZERS.map((x) => ({ label: x as string, value: x as NamedInitializer | { type: 'randomUniform'; minval: number; maxval: number } | { type: 'randomNormal'; mean: number; stddev: number } })),
    { label: 'randomUniform(−0.01, 0.01)', value: { type: 'randomUniform' as const, minval: -0.01, maxval: 0.01 } },
    { label: 'randomNormal(0, 1)', value: { type: 'randomNormal' as const, mean: 0, stddev: 1 } },
  ];
  const init = await vscode.window.showQuickPick(initItems, { title: `${title} (3/6)`, placeHolder: 'Kernel initializer of every layer (biases start at zero)' });
  if (!init) return undefined;
  const opt = await vscode.window.showQuickPick(OPTIMIZERS.map((x) => ({ label: x })), { title: `${title} (4/6)`, placeHolder: 'Optimizer' });
  if (!opt) return undefined;
  const lrText = await vscode.window.showInputBox({
    title: `${title} (5/6)`, prompt: 'Learning rate', value: opt.label === 'sgd' ? '0.5' : opt.label === 'momentum' ? '0.05' : '0.001',
    validateInput: (v) => { const r = parseLearningRate(v); return typeof r === 'string' ? r : undefined; },
  });
  if (lrText === undefined) return undefined;
  const stepsText = await vscode.window.showInputBox({
    title: `${title} (6/6)`, prompt: 'Training steps (batches of 100)', value: '1000', validateInput: intIn(1, 1_000_000),
  });
  if (stepsText === undefined) return undefined;
  const name = `custom ${sizes.length ? `${sizes.join('-')} ${activation}` : 'softmax'} ${init.label} ${opt.label}`;
  const spec = {
    name,
    layers: [
      ...sizes.map((units) => ({ units, activation, kernelInitializer: init.value })),
      { units: 10, activation: 'softmax', kernelInitializer: init.value },
    ],
    optimizer: { type: opt.label as OptimizerType, learningRate: parseLearningRate(lrText) as number },
    steps: Number(stepsText.trim()),
  };
  const checked = validateSpec(spec);
  if (!checked.ok) {
    void vscode.window.showErrorMessage(`Gradient Lens: ${problemsText(checked.problems)}`);
    return undefined;
  }
  return { spec: checked.spec, label: name };
}
