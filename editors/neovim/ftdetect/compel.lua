-- `*.compel` files are compel policies.
if vim.filetype and vim.fn.has('nvim-0.8') == 1 then
  vim.filetype.add({ extension = { compel = 'compel' } })
else
  -- Neovim 0.7: filetype.vim does the detecting; this runs inside its
  -- `filetypedetect` augroup.
  vim.cmd([[autocmd BufRead,BufNewFile *.compel setfiletype compel]])
end
