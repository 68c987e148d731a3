import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace
    .getConfiguration("bona")
    .get<string>("path", "bona");

  const serverOptions: ServerOptions = { command, args: ["lsp"] };

  const watcher = vscode.workspace.createFileSystemWatcher("**/*.trust");
  context.subscriptions.push(watcher);

  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "trust" }],
    synchronize: { fileEvents: watcher },
  };

  client = new LanguageClient(
    "bona",
    "Bona Language Server",
    serverOptions,
    clientOptions,
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("bona.path")) {
        const choice = await vscode.window.showInformationMessage(
          "bona.path changed: reload the window to restart the language server.",
          "Reload",
        );
        if (choice === "Reload") {
          await vscode.commands.executeCommand("workbench.action.reloadWindow");
        }
      }
    }),
  );

  try {
    await client.start();
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Bona: could not start \`${command} lsp\` (set \`bona.path\`): ${String(err)}`,
    );
  }
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
