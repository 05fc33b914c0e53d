" Vim syntax file
" Language:    compel (governance policies for AI programs)
" Filenames:   *.compel
" Tokens follow grammar/compel.pest; prelude names follow stdlib/*.compel.
" With the language server attached, its semantic tokens refine names.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" Blocks fold (with foldmethod=syntax) and hold everything else.
syn region compelBlock start='{' end='}' transparent fold
syn region compelList  start='\[' end='\]' transparent
syn region compelParen start='(' end=')' transparent

" Attributes: `name value` at the start of a line or right after `{`.
syn match compelAttribute '\%(\%(^\|{\)\s*\)\@<=\h\w*\ze[ \t]\+[^ \t{}.,)\]:]'

" Label selectors `labels { key "value" }`: keys are not stage names.
syn region compelLabels matchgroup=compelAttribute start='\<labels\ze\s*{' matchgroup=NONE end='}' contains=compelLabelBrace,compelLabelKey,compelString,compelComment
syn match compelLabelBrace '{' contained
syn match compelLabelKey '\h\w*' contained

" Operators (before comments, so `//` wins over `/`).
syn match compelOperator '==\|!=\|<=\|>=\|<\|>\|->\|[-+*/=]'
syn match compelDelimiter '[,:.]'

" Keywords (reserved words of the grammar).
syn keyword compelInclude      import
syn keyword compelStructure    gate policy let builtin test
syn keyword compelEnforcement  require expect advise
syn keyword compelKeyword      because where
syn keyword compelOperatorWord and or not in for
syn keyword compelBoolean      true false
syn keyword compelBuiltinVar   today now

" Declarations `KIND NAME {` of the kinds in src/check/schema.rs.
syn match compelKind '\<\%(program\|coe\|person\|kpi\|initiative\|dataset\|monitor\|stage\|role\|function\|monitor_kind\)\ze\s\+\h\w*\s*{'
syn match compelDeclName '\%(\<\%(program\|coe\|person\|kpi\|initiative\|dataset\|monitor\|stage\|role\|function\|monitor_kind\)\s\+\)\@<=\h\w*\ze\s*{'
syn match compelPolicyName '\%(\<policy\s\+\)\@<=\h\w*'
syn match compelPolicyKind '\%(\<policy\s\+\h\w*\s\+for\s\+\)\@<=\h\w*'
syn match compelLetName '\%(\<let\s\+\)\@<=\h\w*'
syn match compelBuiltinName '\%(\<builtin\s\+\)\@<=\h\w*'

" Built-in functions (stdlib/builtins.compel) when called.
syn match compelBuiltinFunc '\<\%(last\|avg\|min\|max\|sum\|count\|p50\|p90\|p95\|p99\|delta\|psi\|ks\|wasserstein\|all\|any\|abs\|spread\|executive_roles\)\ze\s*('

" Names the stdlib prelude declares.
syn keyword compelStage       calibrate organize model produce evaluate learn
syn keyword compelRole        CEO CFO COO CTO CIO CDO CAIO vp director manager product_owner engineer data_scientist analyst c_suite
syn keyword compelFunction    data engineering data_science risk legal compliance security product finance operations hr ethics
syn keyword compelMonitorKind drift model_quality data_quality fairness service_health
syn match compelUnitName '\%(^\s*unit\s\+\)\@<=\%(percent\|ratio\|number\|ms\|s\|m\|h\|d\|w\|\u\u\u\)\>'

" Test blocks: `now TIME`, `metrics "f"`, `series "m" { at TIME V }`, `expect ... == OUTCOME`.
syn match compelTestKeyword '\%(^\s*\)\@<=\%(metrics\|series\)\ze\s*"'
syn match compelTestKeyword '\%(^\s*\)\@<=at\ze\s\+\d'
syn match compelTestKeyword '\%(\<policy\s\+\h\w*\s\+\)\@<=on\>'
syn match compelOutcome '\%(==\s*\)\@<=\<\%(pass\|warn\|fail\|unknown\|met\|at_risk\|missed\)\>'

" Literals. Later definitions win where several match at one column.
syn match compelNumber   '\<\d[0-9_]*\%(\.\d[0-9_]*\)\=\>'
syn match compelQuantity '\<\d[0-9_]*\%(\.\d[0-9_]*\)\=\%(%\|ms\|s\|m\|h\|d\|w\)\w\@!' contains=compelUnit
syn match compelUnit     '%\|ms\|[smhdw]' contained
syn match compelMoney    '\<\d[0-9_]*\%(\.\d[0-9_]*\)\=[ \t]\+\u\u\u\>' contains=compelCurrency
syn match compelCurrency '\u\u\u' contained
syn match compelDate     '\<\d\{4}-\d\d-\d\d\>'
syn match compelDateTime '\<\d\{4}-\d\d-\d\dT\d\d:\d\d:\d\d\%(\.\d\+\)\=\%(Z\|[+-]\d\d:\d\d\)'

syn region compelString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=compelEscape,compelBadEscape,@Spell
syn match compelBadEscape +\\.+ contained
syn match compelEscape +\\[nt"\\]+ contained

" Comments: `//`, and `///` doc comments (not `////`).
syn keyword compelTodo contained TODO FIXME XXX NOTE
syn match compelComment '//.*$' contains=compelTodo,@Spell
syn match compelDocComment '///\%(/\)\@!.*$' contains=compelDocCode,compelTodo,@Spell
syn match compelDocCode '`[^`]*`' contained

hi def link compelComment       Comment
hi def link compelDocComment    SpecialComment
hi def link compelDocCode       Special
hi def link compelTodo          Todo
hi def link compelString        String
hi def link compelEscape        SpecialChar
hi def link compelBadEscape     Error
hi def link compelInclude       Include
hi def link compelStructure     Structure
hi def link compelEnforcement   Statement
hi def link compelKeyword       Keyword
hi def link compelOperatorWord  Operator
hi def link compelOperator      Operator
hi def link compelDelimiter     Delimiter
hi def link compelBoolean       Boolean
hi def link compelBuiltinVar    Constant
hi def link compelKind          Type
hi def link compelPolicyKind    Type
hi def link compelDeclName      Function
hi def link compelPolicyName    Function
hi def link compelLetName       Identifier
hi def link compelBuiltinName   Function
hi def link compelBuiltinFunc   Function
hi def link compelAttribute     Identifier
hi def link compelLabelKey      Identifier
hi def link compelStage         Constant
hi def link compelRole          Constant
hi def link compelFunction      Constant
hi def link compelMonitorKind   Constant
hi def link compelUnitName      Constant
hi def link compelTestKeyword   Keyword
hi def link compelOutcome       Constant
hi def link compelNumber        Number
hi def link compelQuantity      Number
hi def link compelUnit          Special
hi def link compelMoney         Number
hi def link compelCurrency      Special
hi def link compelDate          Constant
hi def link compelDateTime      Constant

let b:current_syntax = 'compel'

let &cpo = s:cpo_save
unlet s:cpo_save
