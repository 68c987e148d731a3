-- Starts `bona lsp` for Bona policy files (filetype `trust`, see ftdetect/trust.vim).
-- Works with Neovim 0.7 (vim.lsp.start_client) and 0.8+ (vim.lsp.start). The command can be
-- changed with `vim.g.bona_lsp_cmd = { "/path/to/bona", "lsp" }`; `vim.g.bona_lint = true` shows
-- `bona lint`'s findings too (the server's `lint` initialization option).
local function root_of(bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr)
  local found = vim.fn.finddir(".git", vim.fn.fnamemodify(file, ":p:h") .. ";")
  if found ~= "" then return vim.fn.fnamemodify(found, ":p:h:h") end
  return vim.fn.getcwd()
end

local config = function(bufnr)
  return {
    name = "bona",
    cmd = vim.g.bona_lsp_cmd or { "bona", "lsp" },
    root_dir = root_of(bufnr),
    get_language_id = function() return "trust" end,
    init_options = { lint = vim.g.bona_lint == true },
  }
end

local client_id = nil
vim.api.nvim_create_autocmd("FileType", {
  pattern = "trust",
  callback = function(args)
    if vim.lsp.start then
      vim.lsp.start(config(args.buf), { bufnr = args.buf })
      return
    end
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client(config(args.buf))
    end
    if client_id then vim.lsp.buf_attach_client(args.buf, client_id) end
  end,
})
