" Bona policy files.
autocmd BufRead,BufNewFile *.trust setfiletype trust
