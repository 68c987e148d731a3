//! End to end with a real editor: headless Neovim (Debian's 0.7.2, `vim.lsp.start_client`)
//! starts the built `bona lsp`, opens a copy of `examples/production` in which one name is
//! misspelt, and reports what it received: the diagnostics, a hover and a completion.
//!
//! Neovim is a test tool like openssl: `scripts/install-test-tools.sh` installs it, and CI runs
//! that script first. Without `nvim` this test fails and says so, rather than pass unseen.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
local function out(s) io.stdout:write(s .. "\n") end
local bufnr = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = "bona",
  cmd = { os.getenv("BONA"), "lsp" },
  root_dir = vim.fn.getcwd(),
  get_language_id = function() return "trust" end,
  on_exit = function(code) out("EXIT " .. code) end,
})
vim.lsp.buf_attach_client(bufnr, id)
vim.wait(20000, function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, 50)
vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  out(string.format("DIAG %d:%d sev=%d %s %s", d.lnum, d.col, d.severity, tostring(d.code),
    (d.message:gsub("\n", " | "))))
end
local function pos(name)
  local l, c = os.getenv(name):match("(%d+),(%d+)")
  return { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = tonumber(l), character = tonumber(c) } }
end
local res = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", pos("HOVER_POS"), 20000)
for _, r in pairs(res or {}) do if r.result then
  out("HOVER " .. table.concat(vim.lsp.util.convert_input_to_markdown_lines(r.result.contents), " | "))
end end
res = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", pos("COMPLETE_POS"), 20000)
for _, r in pairs(res or {}) do if r.result then
  local items = r.result.items or r.result
  local labels = {}
  for _, item in ipairs(items) do table.insert(labels, item.label) end
  out("COMPLETION " .. table.concat(labels, ","))
end end
vim.lsp.stop_client(id)
vim.wait(5000, function() return vim.lsp.get_client_by_id(id) == nil end, 50)
vim.cmd("qall!")
"#;

/// `line,character` (0-based, UTF-16) of the `nth` occurrence of `needle`, plus `after` characters.
fn position(text: &str, needle: &str, after: usize) -> String {
    let at = text.find(needle).expect("needle in the example") + after;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.encode_utf16().count());
    format!("{line},{column}")
}

fn nvim_present() -> bool {
    Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A copy of `examples/production` with `corporate` misspelt in `production.trust`.
fn example_workspace() -> (tempfile::TempDir, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp dir");
    let root: PathBuf = dir.path().canonicalize().expect("canonical temp dir");
    for name in [
        "production.trust",
        "registries.trust",
        "staging.trust",
        "tests.trust",
    ] {
        let text = std::fs::read_to_string(repo.join("examples/production").join(name))
            .expect("example file");
        let text = if name == "production.trust" {
            text.replace("trust registry in corporate", "trust registry in corprate")
        } else {
            text
        };
        std::fs::write(root.join(name), text).expect("write");
    }
    (dir, root)
}

/// Runs headless Neovim in `root` and returns its standard output (or fails with everything
/// it printed).
fn run_nvim(root: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    assert!(
        nvim_present(),
        "nvim is not installed: run scripts/install-test-tools.sh (it installs Debian's neovim), \
         then run the tests again"
    );
    let mut command = Command::new("nvim");
    command
        .arg("--headless")
        .arg("--clean")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start nvim");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("nvim did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().expect("nvim output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        status.success(),
        "nvim exited with {status}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn neovim_gets_diagnostics_hover_and_completion_from_bona_lsp() {
    let (_dir, root) = example_workspace();
    std::fs::write(root.join("e2e.lua"), SCRIPT).expect("write script");
    let production = std::fs::read_to_string(root.join("production.trust")).expect("read");
    let stdout = run_nvim(
        &root,
        &["-c", "luafile e2e.lua", "production.trust"],
        &[
            ("BONA", env!("CARGO_BIN_EXE_bona").to_owned()),
            (
                "HOVER_POS",
                position(&production, "registry in corprate", 2),
            ),
            ("COMPLETE_POS", position(&production, "action prevent", 7)),
        ],
    );
    let typo_at = position(&production, "corprate", 0);
    let (line, column) = typo_at.split_once(',').expect("position");
    let diag = format!(
        "DIAG {line}:{column} sev=1 E0203 unknown name `corprate` | help: did you mean `corporate`?"
    );
    let diags: Vec<&str> = stdout.lines().filter(|l| l.starts_with("DIAG")).collect();
    assert_eq!(diags, vec![diag.as_str()], "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("HOVER ")
            && l.contains("**`registry`**: `string`, image attribute")
            && l.contains("The registry host of the image reference.")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "COMPLETION prevent,issue"),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l == "EXIT 0"), "{stdout}");
}

/// `editors/nvim` (ftdetect plus the plugin) starts `bona lsp` by itself for a `.trust` file.
#[test]
fn the_neovim_plugin_starts_bona_lsp_for_trust_files() {
    let (_dir, root) = example_workspace();
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/nvim");
    let script = r#"
local bufnr = vim.api.nvim_get_current_buf()
vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
io.stdout:write("FILETYPE " .. vim.bo.filetype .. "\n")
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  io.stdout:write(string.format("DIAG %d %s\n", d.lnum, (d.message:gsub("\n", " | "))))
end
vim.cmd("qall!")
"#;
    std::fs::write(root.join("plugin.lua"), script).expect("write script");
    let rtp = format!("set rtp^={}", plugin.display());
    let stdout = run_nvim(
        &root,
        &[
            "--cmd",
            &rtp,
            "-c",
            "luafile plugin.lua",
            "production.trust",
        ],
        &[(
            "PATH",
            format!(
                "{}:{}",
                Path::new(env!("CARGO_BIN_EXE_bona"))
                    .parent()
                    .expect("bin dir")
                    .display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )],
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![
            "FILETYPE trust",
            "DIAG 6 unknown name `corprate` | help: did you mean `corporate`?"
        ],
        "{stdout}"
    );
}
