// Entry of the integration suite inside the extension host (`extensionTestsPath`): runs every
// out/test/integration/*.test.js with mocha. The same module works under @vscode/test-electron and
// under code-server's test harness (scripts/integration.mjs picks the route).
import * as path from 'node:path';
import * as fs from 'node:fs';
import Mocha from 'mocha';
import * as vscode from 'vscode';

const EXT_ID = 'gradient-lens.gradient-lens';

/** Activation as VS Code performs it (loading dist/extension.js + activate()), when not active yet. */
async function measureActivation(): Promise<number | undefined> {
  const ext = vscode.extensions.getExtension(EXT_ID);
  if (!ext || ext.isActive) return undefined;
  const t0 = performance.now();
  await ext.activate();
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  // Training processes forked from here inherit NODE_OPTIONS: they cannot `require('@tensorflow/tfjs-node')`
  // (test/support/hideTfjsNode.ts), so `auto` runs on wasm — the path of a user without tfjs-node —
  // although this checkout's node_modules may hold it. The native tests load it by path instead.
  const hide = path.join(__dirname, '..', 'support', 'hideTfjsNode.js');
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(hide)}`.trim();
  console.log('backend: this suite\'s training processes cannot load @tensorflow/tfjs-node (test/support/hideTfjsNode.ts), so runs are on wasm; the native tests load it by path and say so');
  const activationMs = await measureActivation();
  if (activationMs !== undefined) console.log(`activation (load dist/extension.js + activate()): ${activationMs.toFixed(1)} ms`);
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  const grep = process.env.GRADIENT_LENS_TEST_GREP;
  if (grep) mocha.grep(grep);
  const dir = __dirname;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    try {
      const failed: string[] = [];
      const runner = mocha.run((failures) => {
        const passed = runner.stats?.passes ?? 0;
        // scripts/integration.mjs reads the report file (the harness itself only reports an exit code).
        console.log(`mocha: ${passed} passed, ${failures} failed`);
        const report = process.env.GRADIENT_LENS_TEST_REPORT;
        if (report) fs.writeFileSync(report, JSON.stringify({ passed, failed: failures, failures: failed, activationMs }, null, 2));
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      runner.on('fail', (test, err) => failed.push(`${test.fullTitle()}: ${String((err as Error)?.message ?? err).split('\n')[0]}`));
    } catch (e) {
      reject(e);
    }
  });
}
