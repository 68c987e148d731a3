import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

/** The running (or failed) client; replaced on restart. */
let client: LanguageClient | undefined;
/** One channel for every client this window starts, so restarts do not add channels. */
let serverOutput: vscode.OutputChannel | undefined;
/** Starts and stops run one after another, never interleaved. */
let queue: Promise<void> = Promise.resolve();

function bonaPath(): string {
  const configured = vscode.workspace
    .getConfiguration("bona")
    .get<string>("path", "bona")
    .trim();
  return configured === "" ? "bona" : configured;
}

async function startClient(): Promise<void> {
  const command = bonaPath();
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "trust" }],
    // No `synchronize.fileEvents`: the server registers its own `**/*.trust` watcher
    // (workspace/didChangeWatchedFiles), and a second one here made every change arrive twice.
    outputChannel: serverOutput,
    // `bona.lint` at start, then every change of the `bona` section as
    // workspace/didChangeConfiguration ({"bona": {"lint": …}}).
    initializationOptions: {
      lint: vscode.workspace.getConfiguration("bona").get<boolean>("lint", false),
    },
    synchronize: { configurationSection: "bona" },
    // The test lenses' command `bona.test` is the server's (workspace/executeCommand): the
    // client registers it, so the extension must not register it too.
  };
  const c = new LanguageClient(
    "bona",
    "Bona Language Server",
    serverOptions,
    clientOptions,
  );
  client = c;
  try {
    await c.start();
  } catch (err) {
    void vscode.window
      .showErrorMessage(
        `Bona: could not start \`${command} lsp\` (set \`bona.path\`): ${String(err)}`,
        "Open Settings",
      )
      .then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand(
            "workbench.action.openSettings",
            "bona.path",
          );
        }
      });
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  // A client whose server never started cannot be stopped (languageclient throws); drop it.
  if (c !== undefined && c.isRunning()) {
    try {
      await c.stop();
    } catch (err) {
      serverOutput?.appendLine(`Stopping the language server failed: ${String(err)}`);
    }
  }
}

function restartClient(): Promise<void> {
  queue = queue.then(stopClient).then(startClient);
  return queue;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  serverOutput = vscode.window.createOutputChannel("Bona Language Server");
  context.subscriptions.push(
    serverOutput,
    vscode.commands.registerCommand("bona.restartServer", restartClient),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("bona.path")) {
        void restartClient();
      }
    }),
  );
  await restartClient();
}

export async function deactivate(): Promise<void> {
  queue = queue.then(stopClient);
  await queue;
}
