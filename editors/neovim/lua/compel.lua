-- compel for Neovim: attaches the compel language server (`compel lsp`,
-- on stdio) to every buffer of filetype `compel`.
--
--   require('compel').setup({
--     cmd = { 'compel', 'lsp' },         -- the server command (default)
--     root_markers = { 'compel.toml', '.git' },
--     on_attach = function(client, bufnr) ... end,
--     capabilities = nil,                -- e.g. from cmp_nvim_lsp
--     init_options = nil,                -- e.g. { debounceMs = 50 }
--   })
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
    on_attach = cfg.on_attach,
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
