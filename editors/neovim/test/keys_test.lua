-- The compel plugin as a user meets it: keys pressed in a real Neovim that
-- runs the README's init.lua, against the real `compel lsp`.
--
--   COMPEL_BIN=target/debug/compel COMPEL_PLUGIN=editors/neovim COMPEL_TEST_DIR=/tmp/x \
--     nvim --headless --clean -c 'luafile editors/neovim/test/keys_test.lua'
--
-- COMPEL_TEST_DIR holds a copy of the acme example (acme.compel,
-- people.compel). This script (the driver) starts a second Neovim (the
-- editor) with `--embed --headless -u init.lua`, where init.lua is the
-- README's configuration, and types into it with `nvim_input`, the path
-- of keys typed at a terminal: `gd`, `K`, `gr`, `<space>rn`, `<C-x><C-o>`,
-- `gq`, `<space>f`. Between keys it reads the editor's state over RPC
-- (cursor, windows, buffer lines, quickfix list, popup menu). Two more
-- editors check that a user's own `on_attach` replaces the maps and that a
-- missing binary is reported. PASS/FAIL lines; exits 1 (`:cq`) on failure.

local results = { passed = 0, failed = 0 }

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function check(name, ok, detail)
  detail = detail ~= nil and tostring(detail):gsub('\n', ' | ') or nil
  results[ok and 'passed' or 'failed'] = results[ok and 'passed' or 'failed'] + 1
  out((ok and 'PASS ' or 'FAIL ') .. name .. (detail and (': ' .. detail) or ''))
  return ok
end

local bin = assert(os.getenv('COMPEL_BIN'), 'COMPEL_BIN is not set')
local plugin = assert(os.getenv('COMPEL_PLUGIN'), 'COMPEL_PLUGIN is not set')
local dir = assert(os.getenv('COMPEL_TEST_DIR'), 'COMPEL_TEST_DIR is not set')
local nvim = vim.v.progpath

--- Writes an init.lua as the README shows it, with `setup_args` as the
--- table passed to setup().
local function write_init(name, setup_args)
  local path = dir .. '/' .. name
  local f = assert(io.open(path, 'w'))
  f:write(('vim.opt.runtimepath:prepend(%q)\n'):format(plugin))
  f:write(('require(\'compel\').setup(%s)\n'):format(setup_args))
  f:close()
  return path
end

--- Starts an editor on `file` with `init`; returns an object to drive it.
local function editor(init, file)
  local chan = vim.fn.jobstart({ nvim, '--embed', '--headless', '-n', '-i', 'NONE', '-u', init, file },
    { rpc = true, cwd = dir })
  assert(chan > 0, 'could not start ' .. nvim)
  local e = {}
  function e.call(fn, ...)
    return vim.rpcrequest(chan, fn, ...)
  end
  function e.lua(code, ...)
    return vim.rpcrequest(chan, 'nvim_exec_lua', code, { ... })
  end
  --- Types `keys` (key notation such as `<CR>`), as at a terminal.
  function e.type(keys)
    vim.rpcrequest(chan, 'nvim_input', keys)
  end
  function e.mode()
    return vim.rpcrequest(chan, 'nvim_get_mode').mode
  end
  function e.cursor()
    return e.call('nvim_win_get_cursor', 0)
  end
  function e.line(n)
    return e.call('nvim_buf_get_lines', 0, n - 1, n, false)[1]
  end
  function e.lines()
    return e.call('nvim_buf_get_lines', 0, 0, -1, false)
  end
  function e.stop()
    pcall(vim.rpcnotify, chan, 'nvim_command', 'qa!')
    vim.wait(2000, function()
      return vim.fn.jobwait({ chan }, 0)[1] ~= -1
    end, 20)
    pcall(vim.fn.jobstop, chan)
  end
  return e
end

local function wait(ms, pred)
  local value
  local ok = vim.wait(ms, function()
    value = pred()
    return value and true or false
  end, 50)
  return ok, value
end

--- Puts the cursor on the first match of the literal `text` at or after
--- line `lnum`, by typing a line jump and a search.
local function go(e, lnum, text)
  e.type(('<Esc>%dG0'):format(lnum))
  e.type('/\\V' .. text:gsub('\\', '\\\\') .. '<CR>')
  wait(2000, function()
    return e.mode() == 'n'
  end)
end

-- Lines of examples/acme/acme.compel the checks rely on (looked up, not assumed).
local function find_line(lines, pattern, from)
  for i = from or 1, #lines do
    if lines[i]:find(pattern) then
      return i
    end
  end
  error('acme.compel has no line matching ' .. pattern)
end

local function floating_text(e)
  local text = e.lua([[
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        local buf = vim.api.nvim_win_get_buf(win)
        return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
      end
    end
    return nil
  ]])
  return text ~= vim.NIL and text or nil
end

local function maps_and_server(e)
  return e.lua([[
    local bufnr = vim.api.nvim_get_current_buf()
    local clients = vim.lsp.buf_get_clients(bufnr)
    local attached = false
    for _, c in pairs(clients) do
      attached = attached or (c.name == 'compel' and c.initialized ~= false and c.server_capabilities ~= nil)
    end
    local function buffer_map(lhs)
      local m = vim.fn.maparg(lhs, 'n', false, true)
      return m.buffer == 1
    end
    return {
      attached = attached,
      omnifunc = vim.bo.omnifunc,
      formatexpr = vim.bo.formatexpr,
      K = buffer_map('K'), gd = buffer_map('gd'), gr = buffer_map('gr'),
      rn = buffer_map('<space>rn'), f = buffer_map('<space>f'),
    }
  ]])
end

local function main_editor()
  local acme = dir .. '/acme.compel'
  local init = write_init('init.lua', ('{ cmd = { %q, "lsp" } }'):format(bin))
  local e = editor(init, acme)
  local original = e.lines()
  local ok, state = wait(15000, function()
    local s = maps_and_server(e)
    return s.attached and s
  end)
  if not check('server attached to acme.compel', ok, ok and 'compel' or vim.inspect(maps_and_server(e))) then
    e.stop()
    return
  end
  check('omnifunc set', state.omnifunc == 'v:lua.vim.lsp.omnifunc', state.omnifunc)
  check('formatexpr set', state.formatexpr:find('compel', 1, true) ~= nil, state.formatexpr)
  check('buffer-local K gd gr <space>rn <space>f', state.K and state.gd and state.gr and state.rn and state.f,
    vim.inspect(state))

  local def_line = find_line(original, '^kpi accuracy')
  local use_line = find_line(original, 'kpis%s+%[accuracy')

  -- gd on a use of the KPI jumps to `kpi accuracy`. The first request may
  -- arrive before the analysis: press again until the cursor moves.
  local moved, where = wait(15000, function()
    go(e, use_line, 'accuracy')
    e.type('gd')
    local ok2, pos = wait(1500, function()
      local c = e.cursor()
      return c[1] ~= use_line and c
    end)
    return ok2 and pos
  end)
  check('gd jumps to the definition', moved and where[1] == def_line and original[def_line]:sub(where[2] + 1,
    where[2] + 8) == 'accuracy', moved and ('line %d col %d, want line %d'):format(where[1], where[2], def_line)
    or 'cursor did not move')

  -- gd on a person jumps into people.compel (Vim's own gd stays in the file).
  local sponsor_line = find_line(original, '^%s+sponsor%s')
  local people = vim.fn.readfile(dir .. '/people.compel')
  local person_line = find_line(people, '^person dana')
  go(e, sponsor_line, 'dana')
  e.type('gd')
  local jumped, at = wait(10000, function()
    local name = e.call('nvim_buf_get_name', 0)
    return name:find('people.compel', 1, true) and { name = name, pos = e.cursor() }
  end)
  check('gd jumps to the definition in the imported file', jumped and at.pos[1] == person_line,
    jumped and ('%s line %d, want %d'):format(vim.fn.fnamemodify(at.name, ':t'), at.pos[1], person_line)
      or ('still in ' .. e.call('nvim_buf_get_name', 0)))
  e.type('<Esc>:edit ' .. acme .. '<CR>')
  wait(3000, function()
    return e.call('nvim_buf_get_name', 0) == acme
  end)

  -- K shows the doc comment in a floating window.
  go(e, use_line, 'accuracy')
  e.type('K')
  local shown, text = wait(10000, function()
    return floating_text(e)
  end)
  check('K shows the hover', shown and text:find('Top-1 accuracy on the weekly holdout set', 1, true) ~= nil,
    shown and text or 'no floating window')
  e.type('<Esc>')
  -- The hover closes when the cursor moves.
  e.type('j')
  wait(2000, function()
    return floating_text(e) == nil
  end)

  -- gr lists the references in the quickfix list.
  go(e, def_line, 'accuracy')
  e.type('gr')
  local listed, qf = wait(10000, function()
    local items = e.call('nvim_call_function', 'getqflist', {})
    return #items > 0 and items
  end)
  local lnums = {}
  for _, item in ipairs(qf or {}) do
    if item.bufnr == 1 or e.call('nvim_call_function', 'bufname', { item.bufnr }):find('acme.compel', 1, true) then
      lnums[item.lnum] = true
    end
  end
  check('gr lists the references', listed and lnums[use_line] and lnums[def_line],
    listed and ('%d items: lines %s'):format(#qf, table.concat(vim.tbl_keys(lnums), ',')) or 'empty quickfix list')
  e.type('<Esc>:cclose<CR>')

  -- <C-x><C-o> after `sponsor ` offers the persons of people.compel.
  e.type(('<Esc>%dGccsponsor <C-x><C-o>'):format(sponsor_line))
  local popped, info = wait(10000, function()
    local i = e.call('nvim_call_function', 'complete_info', { { 'items', 'pum_visible', 'mode' } })
    return #i.items > 0 and i
  end)
  local words = {}
  for _, item in ipairs(info and info.items or {}) do
    words[item.word] = true
  end
  check('omnifunc offers the persons after `sponsor `', popped and words.dana and words.priya,
    popped and table.concat(vim.tbl_keys(words), ' ') or 'no completion')
  -- Accept the selected item (or select the first), leave Insert mode.
  e.type(info and info.selected ~= -1 and '<C-y><Esc>' or '<C-n><C-y><Esc>')
  local accepted, line = wait(3000, function()
    local l = e.line(sponsor_line)
    return (l:match('sponsor (%a+)$')) and l
  end)
  check('the accepted completion is in the line', accepted and (line:match('sponsor (%a+)$') == 'dana'
    or line:match('sponsor (%a+)$') == 'priya'), tostring(line))
  -- Back to the file as it was (as one undo step).
  e.type('u')
  wait(3000, function()
    return e.line(sponsor_line) == original[sponsor_line]
  end)

  -- gq over the file: the server formats it as `compel fmt`.
  local kpi_body = def_line + 1
  e.type(('%dG>>>>'):format(kpi_body))
  local messed = wait(3000, function()
    return e.line(kpi_body) ~= original[kpi_body]
  end)
  e.type('gggqG')
  local formatted = wait(10000, function()
    return e.line(kpi_body) == original[kpi_body]
  end)
  check('gq formats with the server', messed and formatted and vim.deep_equal(e.lines(), original),
    ('line %d: %q'):format(kpi_body, e.line(kpi_body)))

  -- <space>f formats the file too.
  e.type(('%dG<<'):format(kpi_body))
  wait(3000, function()
    return e.line(kpi_body) ~= original[kpi_body]
  end)
  e.type('<space>f')
  formatted = wait(10000, function()
    return e.line(kpi_body) == original[kpi_body]
  end)
  check('<space>f formats with the server', formatted and vim.deep_equal(e.lines(), original),
    ('line %d: %q'):format(kpi_body, e.line(kpi_body)))

  -- <space>rn renames the KPI: the prompt asks for the new name.
  go(e, def_line, 'accuracy')
  e.type('<space>rn')
  local prompted = wait(10000, function()
    return e.mode() == 'c'
  end)
  e.type('<C-u>precision<CR>')
  local renamed = wait(10000, function()
    return e.line(def_line) == 'kpi precision {' and e.line(use_line):find('[precision', 1, true) ~= nil
  end)
  check('<space>rn renames the KPI and its uses', prompted and renamed,
    ('prompt %s; %q / %q'):format(prompted and 'shown' or 'not shown', e.line(def_line), e.line(use_line)))
  e.stop()
end

local function custom_on_attach()
  local init = write_init('init_custom.lua',
    ('{ cmd = { %q, "lsp" }, on_attach = function(_, b) vim.g.compel_attached = b end }'):format(bin))
  local e = editor(init, dir .. '/acme.compel')
  local ok = wait(15000, function()
    local set = pcall(e.call, 'nvim_get_var', 'compel_attached') -- raises while unset
    return set
  end)
  local state = maps_and_server(e)
  check('a user on_attach runs instead of the maps', ok and not state.K and not state.gd
    and state.omnifunc == '', vim.inspect(state))
  e.stop()
end

local function missing_binary()
  local init = write_init('init_missing.lua', '{ cmd = { "/nonexistent/compel", "lsp" } }')
  local e = editor(init, dir .. '/acme.compel')
  local ok, messages = wait(5000, function()
    local m = e.call('nvim_exec', 'messages', true)
    return m:find('is not executable', 1, true) and m
  end)
  check('a missing binary is reported', ok, ok and messages or 'no message')
  e.stop()
end

local function protect(f)
  return function()
    local ok, err = xpcall(f, debug.traceback)
    if not ok then
      check('test script', false, tostring(err))
    end
  end
end

out('neovim ' .. vim.fn.execute('version'):match('NVIM v[%w%.%-]+'))
protect(main_editor)()
protect(custom_on_attach)()
protect(missing_binary)()
out(('neovim keys: %d passed, %d failed'):format(results.passed, results.failed))
vim.cmd(results.failed > 0 and 'cq' or 'qa!')
