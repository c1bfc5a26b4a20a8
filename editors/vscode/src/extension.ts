// Starts falco-rulec-lsp (stdio) for YAML documents and forwards the `falcoRulec` settings.
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

function settings(): { files?: string[] } {
  const cfg = vscode.workspace.getConfiguration('falcoRulec');
  const files = cfg.get<string[]>('files', []);
  return files.length > 0 ? { files } : {};
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration('falcoRulec').get<string>('serverPath', 'falco-rulec-lsp');
  const serverOptions: ServerOptions = {
    run: { command, transport: TransportKind.stdio },
    debug: { command, transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'yaml' }, { scheme: 'untitled', language: 'yaml' }],
    initializationOptions: settings(),
    synchronize: {
      configurationSection: 'falcoRulec',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}'),
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
