-- Headless Neovim test of the compel plugin against the real language server.
--
--   COMPEL_BIN=target/debug/compel COMPEL_TEST_FILE=/tmp/x/misspelt.compel \
--     nvim --headless --clean --cmd 'set rtp^=editors/neovim' -c 'luafile editors/neovim/test/lsp_test.lua'
--
-- The file must contain a misspelt KPI `acuracy`. The test opens it, checks
-- the filetype, syntax and ftplugin, calls require('compel').setup(), waits
-- for the server's E0301 diagnostic on the line of `acuracy`, then fixes the
-- typo in the buffer and waits for the diagnostic to go away. It prints PASS
-- or FAIL lines and exits 0 on success, 1 (`:cq`) on failure.

local results = { passed = 0, failed = 0 }

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function check(name, ok, detail)
  detail = detail and tostring(detail):gsub('\n', ' | ') or nil
  if ok then
    results.passed = results.passed + 1
    out('PASS ' .. name .. (detail and (': ' .. detail) or ''))
  else
    results.failed = results.failed + 1
    out('FAIL ' .. name .. (detail and (': ' .. detail) or ''))
  end
  return ok
end

local function finish()
  out(('neovim: %d passed, %d failed'):format(results.passed, results.failed))
  if results.failed > 0 then
    vim.cmd('cq')
  else
    vim.cmd('qa!')
  end
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr })
  elseif vim.lsp.get_active_clients and vim.fn.has('nvim-0.8') == 1 then
    return vim.lsp.get_active_clients({ bufnr = bufnr })
  end
  local list = {}
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    table.insert(list, c)
  end
  return list
end

local function run()
  local bin = os.getenv('COMPEL_BIN')
  local file = os.getenv('COMPEL_TEST_FILE')
  assert(bin and bin ~= '', 'COMPEL_BIN is not set')
  assert(file and file ~= '', 'COMPEL_TEST_FILE is not set')
  out('neovim ' .. vim.fn.execute('version'):match('NVIM v[%w%.%-]+'))

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()

  -- Filetype detection, syntax file and ftplugin, from the runtimepath.
  check('filetype', vim.bo.filetype == 'compel', 'filetype=' .. vim.bo.filetype)
  check('syntax', vim.b.current_syntax == 'compel', 'b:current_syntax=' .. tostring(vim.b.current_syntax))
  check('commentstring', vim.bo.commentstring == '// %s', 'commentstring=' .. vim.bo.commentstring)

  -- The line (0-based) and column of the misspelt KPI (not in a comment).
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local want_line, want_col
  for i, l in ipairs(lines) do
    local col = l:find('acuracy', 1, true)
    if col and not l:match('^%s*//') then
      want_line, want_col = i - 1, col - 1
      break
    end
  end
  assert(want_line, 'the test file has no `acuracy`')

  -- Highlighting: a sample of syntax groups.
  local function group_at(pattern)
    for i, l in ipairs(lines) do
      local col = l:find(pattern, 1, true)
      if col then
        local id = vim.fn.synID(i, col, 1)
        return vim.fn.synIDattr(id, 'name')
      end
    end
  end
  check('highlight kpi', group_at('kpi accuracy') == 'compelKind', tostring(group_at('kpi accuracy')))
  check('highlight 92%', group_at('92%') == 'compelQuantity', tostring(group_at('92%')))
  check('highlight ///', group_at('///') == 'compelDocComment', tostring(group_at('///')))

  require('compel').setup({ cmd = { bin, 'lsp' } })

  local found
  local ok = vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.lnum == want_line and tostring(d.message):find('acuracy', 1, true) then
        found = d
        return true
      end
    end
    return false
  end, 50)

  local clients = clients_of(bufnr)
  local client = clients[1]
  check('server attached', client ~= nil and client.name == 'compel',
    client and ('client ' .. client.name .. ', root ' .. tostring(client.config.root_dir)) or 'no client')
  check('root dir', client ~= nil and client.config.root_dir == vim.fn.fnamemodify(file, ':p:h'),
    client and tostring(client.config.root_dir) or 'no client')

  if not check('diagnostic on line ' .. want_line, ok and found ~= nil,
      found and ('%d:%d %s %s'):format(found.lnum, found.col, tostring(found.code), found.message)
        or ('none within 10 s; got ' .. vim.inspect(vim.diagnostic.get(bufnr)))) then
    return
  end
  check('diagnostic code', found.code == 'E0301', 'code=' .. tostring(found.code))
  check('diagnostic column', found.col == want_col, ('col=%d, want %d'):format(found.col, want_col))
  check('diagnostic severity', found.severity == vim.diagnostic.severity.ERROR, 'severity=' .. tostring(found.severity))

  -- Fix the typo in the buffer (unsaved): the server sees the change and
  -- clears the diagnostic.
  local fixed = lines[want_line + 1]:gsub('acuracy', 'accuracy')
  vim.api.nvim_buf_set_lines(bufnr, want_line, want_line + 1, false, { fixed })
  local cleared = vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.severity == vim.diagnostic.severity.ERROR then
        return false
      end
    end
    return true
  end, 50)
  check('diagnostic cleared after the edit', cleared,
    cleared and 'no error left' or vim.inspect(vim.diagnostic.get(bufnr)))
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  check('test script', false, tostring(err))
end
finish()
