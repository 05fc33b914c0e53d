-- Buffer settings for compel policies.
if vim.b.did_ftplugin then
  return
end
vim.b.did_ftplugin = 1

local bo = vim.bo
bo.commentstring = '// %s'
-- `///` doc comments and `//` comments continue on the next line.
bo.comments = ':///,://'
bo.formatoptions = bo.formatoptions:gsub('t', '') .. 'croql'
-- The layout `compel fmt` writes: two spaces per level.
bo.expandtab = true
bo.shiftwidth = 2
bo.softtabstop = 2
bo.autoindent = true
bo.smartindent = true
bo.cinwords = ''
-- `gf` on an import: `import "people.compel"` is relative to the file.
bo.suffixesadd = '.compel'

vim.b.undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab< shiftwidth< '
  .. 'softtabstop< autoindent< smartindent< cinwords< suffixesadd<'
