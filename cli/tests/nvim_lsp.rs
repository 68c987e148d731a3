//! End to end with a real editor: headless Neovim (Debian's 0.7.2, `vim.lsp.start_client`)
//! starts the built `bona lsp`, opens a copy of `examples/production` in which one name is
//! misspelt, and reports what it received: the diagnostics, a hover and a completion.
//!
//! Neovim is a test tool like openssl: `scripts/install-test-tools.sh` installs it, and CI runs
//! that script first. Without `nvim` this test fails and says so, rather than pass unseen.

use crate::editors;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use editors::{example_workspace, installed, position, run_to_end};

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

/// `line,character` as the Lua script reads it.
fn lsp_position(text: &str, needle: &str, after: usize) -> String {
    let (line, column) = position(text, needle, after);
    format!("{line},{column}")
}

/// Runs headless Neovim in `root` and returns its standard output (or fails with everything
/// it printed).
fn run_nvim(root: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    assert!(
        installed("nvim"),
        "nvim is not installed: run scripts/install-test-tools.sh (it installs Debian's neovim), \
         then run the tests again"
    );
    let mut command = Command::new("nvim");
    command
        .arg("--headless")
        .arg("--clean")
        .args(args)
        .current_dir(root)
        .envs(env.iter().map(|(k, v)| (k, v)));
    run_to_end(command, "nvim", Duration::from_secs(120))
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
                lsp_position(&production, "registry in corprate", 2),
            ),
            (
                "COMPLETE_POS",
                lsp_position(&production, "action prevent", 7),
            ),
        ],
    );
    let (line, column) = position(&production, "corprate", 0);
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
