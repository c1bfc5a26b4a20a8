// Starts falco-rulec-lsp (stdio) for YAML documents and forwards the `falcoRulec` settings.
// The server's "Run tests" code lenses run `falco-rulec.runRuleTests` (registered by the
// language client from the server's executeCommandProvider); the middleware below shows
// progress and writes the report to the "Falco rule tests" output channel.
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

/** The server command behind the "Run tests" code lenses. */
const RUN_TESTS = 'falco-rulec.runRuleTests';

let client: LanguageClient | undefined;

function settings(): { files?: string[]; rulesPath?: string[] } {
  const cfg = vscode.workspace.getConfiguration('falcoRulec');
  const files = cfg.get<string[]>('files', []);
  const rulesPath = cfg.get<string[]>('rulesPath', []);
  return {
    ...(files.length > 0 ? { files } : {}),
    ...(rulesPath.length > 0 ? { rulesPath } : {}),
  };
}

/** The result of `falco-rulec.runRuleTests` (see lsp/src/ruletests.rs `RunReport`). */
interface RunReport {
  rule: string | null;
  passed: number;
  failed: number;
  errors: number;
  summary: string;
  files: {
    file: string;
    error: string | null;
    tests: { name: string; line: number; passed: boolean; failures: string[]; fired: string[] }[];
  }[];
}

function isReport(v: unknown): v is RunReport {
  return typeof v === 'object' && v !== null && typeof (v as RunReport).summary === 'string'
    && Array.isArray((v as RunReport).files);
}

/** The report as `falco-rulec test` prints it. */
function reportText(r: RunReport): string {
  const out: string[] = [];
  for (const f of r.files) {
    if (f.error !== null) {
      out.push(`${f.file}: could not run tests`, f.error, '');
      continue;
    }
    out.push(`running ${f.tests.length} tests from ${f.file}`);
    for (const t of f.tests) {
      out.push(`test ${t.name} ... ${t.passed ? 'ok' : 'FAILED'}`);
    }
    for (const t of f.tests.filter((t) => !t.passed)) {
      out.push('', `---- ${t.name} (${f.file}:${t.line}) ----`);
      out.push(...t.failures.map((p) => `    ${p}`));
      out.push(`  fired: ${t.fired.length > 0 ? t.fired.join(', ') : '(none)'}`);
    }
    out.push('');
  }
  out.push(r.summary);
  return out.join('\n');
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration('falcoRulec').get<string>('serverPath', 'falco-rulec-lsp');
  const serverOptions: ServerOptions = {
    run: { command, transport: TransportKind.stdio },
    debug: { command, transport: TransportKind.stdio },
  };
  const testOutput = vscode.window.createOutputChannel('Falco rule tests');
  context.subscriptions.push(testOutput);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'yaml' }, { scheme: 'untitled', language: 'yaml' }],
    initializationOptions: settings(),
    synchronize: {
      configurationSection: 'falcoRulec',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}'),
    },
    middleware: {
      executeCommand: async (cmd, args, next) => {
        if (cmd !== RUN_TESTS) {
          return next(cmd, args);
        }
        const arg = args[0] as { rule?: string } | undefined;
        const what = arg?.rule ? `the tests of “${arg.rule}”` : 'the tests of this file';
        const result: unknown = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Falco: running ${what}…` },
          async () => next(cmd, args),
        );
        // The server also shows the summary (window/showMessage); the details go here.
        if (isReport(result)) {
          testOutput.appendLine(reportText(result));
          testOutput.appendLine('');
          if (result.failed > 0 || result.errors > 0) {
            testOutput.show(true);
          }
        }
        return result;
      },
    },
  };
  client = new LanguageClient('falcoRulec', 'Falco rules (falco-rulec)', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand('falcoRulec.restartServer', async () => {
      await client?.restart();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
