-- compel for Neovim: attaches the compel language server (`compel lsp`,
-- on stdio) to every buffer of filetype `compel`.
--
--   require('compel').setup({
--     cmd = { 'compel', 'lsp' },         -- the server command (default)
--     root_markers = { 'compel.toml', '.git' },
--     on_attach = function(client, bufnr) ... end, -- replaces the maps below
--     capabilities = nil,                -- e.g. from cmp_nvim_lsp
--     init_options = nil,                -- e.g. { debounceMs = 50 }
--   })
--
-- Unless `on_attach` is given, each attached buffer gets the usual LSP
-- setup (`M.on_attach`, which a custom `on_attach` may call itself):
-- 'omnifunc' (<C-x><C-o>), 'formatexpr' (gq), 'tagfunc' (<C-]>) and the
-- buffer-local maps K (hover), gd (definition), gr (references),
-- <space>rn (rename), <space>f (format the file), <space>ca (code action),
-- <C-k> (signature help), [d and ]d (previous and next diagnostic),
-- <space>e (the diagnostics of the line).
--
-- Works with Neovim 0.8 and newer (`vim.lsp.start`) and with 0.7
-- (`vim.lsp.start_client` + `vim.lsp.buf_attach_client`). One server runs
-- per root folder: the nearest folder above the file holding one of
-- `root_markers`, else the file's own folder.

local M = {}

local defaults = {
  name = 'compel',
  cmd = { 'compel', 'lsp' },
  root_markers = { 'compel.toml', '.git' },
  filetypes = { 'compel' },
  on_attach = nil,
  capabilities = nil,
  init_options = nil,
  settings = nil,
  cmd_env = nil,
}

M.config = vim.deepcopy(defaults)

-- Neovim 0.7 only: the client started for each root folder.
local clients_by_root = {}

local uv = vim.loop

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function dirname(path)
  return vim.fn.fnamemodify(path, ':h')
end

--- The folder the server for `bufnr` is started in: the nearest folder at
--- or above the file's folder that holds a root marker, else the file's
--- folder (the current directory for a buffer without a file).
function M.root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr or 0)
  if name == '' then
    return uv.cwd()
  end
  local start = dirname(vim.fn.fnamemodify(name, ':p'))
  local dir = start
  while true do
    for _, marker in ipairs(M.config.root_markers) do
      if exists(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir or parent == '' then
      return start
    end
    dir = parent
  end
end

local has_08 = vim.fn.has('nvim-0.8') == 1
-- 0.11 made the client's functions methods (`client:request_sync(...)`).
local has_011 = vim.fn.has('nvim-0.11') == 1

--- Whether the server offers `method` (0.7's `resolved_capabilities`,
--- 0.8+'s `server_capabilities`, both behind `supports_method`).
local function supports(client, method)
  if has_011 then
    return client:supports_method(method)
  end
  return client.supports_method(method)
end

local function request_sync(client, method, params, timeout_ms, bufnr)
  if has_011 then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

local function buffer_clients(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr })
  end
  return vim.lsp.buf_get_clients(bufnr)
end

--- Formats the whole buffer with the server (as `compel fmt`).
function M.format()
  if has_08 then
    vim.lsp.buf.format({ async = true, name = M.config.name })
  else
    vim.lsp.buf.formatting()
  end
end

--- 'formatexpr' for compel buffers: `gq{motion}` asks the server to format
--- the lines (`textDocument/rangeFormatting`), or the whole file when the
--- server formats whole files only. In Insert mode (a line past
--- 'textwidth') Vim formats as usual.
function M.formatexpr()
  if vim.tbl_contains({ 'i', 'R', 'ic', 'ix' }, vim.fn.mode()) then
    return 1
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local first, last = vim.v.lnum, vim.v.lnum + vim.v.count - 1
  if first <= 0 or last <= 0 then
    return 0
  end
  local options = vim.lsp.util.make_formatting_params().options
  local params, method = { textDocument = vim.lsp.util.make_text_document_params(), options = options }, nil
  for _, client in pairs(buffer_clients(bufnr)) do
    if client.name == M.config.name then
      if supports(client, 'textDocument/rangeFormatting') then
        method = 'textDocument/rangeFormatting'
        -- From the start of the first line to the start of the line after
        -- the last: whole lines.
        params.range = { start = { line = first - 1, character = 0 }, ['end'] = { line = last, character = 0 } }
      elseif supports(client, 'textDocument/formatting') then
        method = 'textDocument/formatting'
      end
      if method then
        local response = request_sync(client, method, params, 2000, bufnr)
        if response and response.result then
          vim.lsp.util.apply_text_edits(response.result, bufnr, client.offset_encoding)
        elseif response and response.err then
          vim.notify('compel: ' .. tostring(response.err.message), vim.log.levels.WARN)
        end
      end
      return 0
    end
  end
  return 1 -- no server: Vim's own formatting
end

--- What `setup()` does for each attached buffer unless `on_attach` is given.
function M.on_attach(_, bufnr)
  local bo = vim.bo[bufnr]
  bo.omnifunc = 'v:lua.vim.lsp.omnifunc'
  bo.formatexpr = "v:lua.require'compel'.formatexpr()"
  bo.tagfunc = 'v:lua.vim.lsp.tagfunc'
  local function map(mode, lhs, rhs, desc)
    vim.keymap.set(mode, lhs, rhs, { buffer = bufnr, silent = true, desc = 'compel: ' .. desc })
  end
  map('n', 'K', vim.lsp.buf.hover, 'hover')
  map('n', 'gd', vim.lsp.buf.definition, 'go to definition')
  map('n', 'gr', vim.lsp.buf.references, 'references')
  map('n', '<space>rn', vim.lsp.buf.rename, 'rename')
  map('n', '<space>f', M.format, 'format the file')
  map('n', '<space>ca', vim.lsp.buf.code_action, 'code action')
  map({ 'n', 'i' }, '<C-k>', vim.lsp.buf.signature_help, 'signature help')
  map('n', '[d', vim.diagnostic.goto_prev, 'previous diagnostic')
  map('n', ']d', vim.diagnostic.goto_next, 'next diagnostic')
  map('n', '<space>e', vim.diagnostic.open_float, 'diagnostics of the line')
end

local function client_config(root)
  local cfg = M.config
  return {
    name = cfg.name,
    cmd = cfg.cmd,
    cmd_env = cfg.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    capabilities = cfg.capabilities or vim.lsp.protocol.make_client_capabilities(),
    init_options = cfg.init_options,
    settings = cfg.settings or vim.empty_dict(),
    on_attach = cfg.on_attach or M.on_attach,
  }
end

local function executable_hint()
  local exe = M.config.cmd[1]
  if exe and vim.fn.executable(exe) ~= 1 then
    vim.notify(
      ('compel: `%s` is not executable. Install compel (`cargo install --path .` in its repository) '
        .. 'or pass its path: require("compel").setup({ cmd = { "/path/to/compel", "lsp" } })'):format(exe),
      vim.log.levels.ERROR
    )
    return false
  end
  return true
end

--- Attaches the compel server to `bufnr`, starting one for its root folder
--- when none runs. Returns the client id, or nil when it could not start.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  if not executable_hint() then
    return nil
  end
  local root = M.root_dir(bufnr)
  local config = client_config(root)

  if vim.lsp.start then
    -- Neovim >= 0.8: reuses the client with the same name and root_dir.
    -- (0.8's vim.lsp.start attaches the current buffer.)
    local id
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(config)
    end)
    return id
  end

  -- Neovim 0.7.
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      vim.notify('compel: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Makes `*.compel` buffers filetype `compel` even when the plugin was
--- added to the runtimepath after startup (lazy loading), which skips
--- ftdetect/.
local function ensure_filetype_detection()
  if vim.fn.has('nvim-0.8') == 1 then
    vim.filetype.add({ extension = { compel = 'compel' } })
  else
    local group = vim.api.nvim_create_augroup('compel_ftdetect', { clear = true })
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = '*.compel',
      command = 'setfiletype compel',
    })
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == ''
        and vim.api.nvim_buf_get_name(bufnr):match('%.compel$') then
      vim.bo[bufnr].filetype = 'compel'
    end
  end
end

--- Configures the server and attaches it to every `compel` buffer, open now
--- or opened later. Calling it again replaces the configuration.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if opts and opts.cmd then
    M.config.cmd = opts.cmd -- a list: replace, do not merge by index
  end
  if opts and opts.root_markers then
    M.config.root_markers = opts.root_markers
  end

  ensure_filetype_detection()

  local group = vim.api.nvim_create_augroup('compel_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = 'Attach the compel language server',
  })

  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

return M
