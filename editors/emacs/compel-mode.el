;;; compel-mode.el --- Major mode for compel governance policies  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages
;; SPDX-License-Identifier: MIT

;;; Commentary:

;; Highlighting, indentation and comments for `.compel' files, and the
;; language server `compel lsp' registered with eglot.
;;
;;   (add-to-list 'load-path "/path/to/compel/editors/emacs")
;;   (require 'compel-mode)
;;   (add-hook 'compel-mode-hook #'eglot-ensure)   ; diagnostics, completion, M-. ...
;;
;; eglot is part of Emacs 29 and newer; before 29 install it first
;; (Debian 12: `apt-get install elpa-eglot'; elsewhere `M-x package-install
;; RET eglot').
;;
;; The reserved words below are `syntax::lexer::RESERVED' of the compel
;; sources, word for word (`tests/keywords.rs' holds the list to it).

;;; Code:

(defgroup compel nil
  "Governance policies for AI programs."
  :group 'languages
  :prefix "compel-")

(defcustom compel-indent-offset 2
  "Columns per block level, as `compel fmt' writes them."
  :type 'integer
  :safe #'integerp)

(defcustom compel-server-command '("compel" "lsp")
  "The language server's command line, for eglot."
  :type '(repeat string))

;; The reserved words, grouped as the Vim syntax file groups them.
(defconst compel-include-keywords '("import"))
(defconst compel-structure-keywords '("gate" "policy" "let" "builtin" "test"))
(defconst compel-enforcement-keywords '("require" "expect" "advise"))
(defconst compel-other-keywords '("because" "where"))
(defconst compel-operator-keywords '("and" "or" "not" "in" "for"))
(defconst compel-constant-keywords '("true" "false" "today" "now"))

(defconst compel-declaration-kinds
  '("program" "coe" "person" "kpi" "initiative" "dataset" "monitor" "stage"
    "role" "function" "monitor_kind")
  "Declaration kinds (`KIND NAME {'), from the compel schema.")

(defconst compel-builtin-functions
  '("last" "avg" "min" "max" "sum" "count" "p50" "p90" "p95" "p99" "delta"
    "psi" "ks" "wasserstein" "all" "any")
  "The built-in functions of the compel standard library.")

(defconst compel-prelude-names
  '("calibrate" "organize" "model" "produce" "evaluate" "learn"
    "CEO" "CFO" "COO" "CTO" "CIO" "CDO" "CAIO" "vp" "director" "manager"
    "product_owner" "engineer" "data_scientist" "analyst" "c_suite"
    "data" "engineering" "data_science" "risk" "legal" "compliance" "security"
    "product" "finance" "operations" "hr" "ethics"
    "drift" "model_quality" "data_quality" "fairness" "service_health")
  "Stages, roles, functions and monitor kinds the prelude declares.")

(defconst compel-continuation-words '("and" "or" "because" "where")
  "Words that continue the expression or criterion of the line before.")

(defvar compel-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; `//' to the end of the line.
    (modify-syntax-entry ?/ ". 12" table)
    (modify-syntax-entry ?\n ">" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?\\ "\\" table)
    (modify-syntax-entry ?_ "_" table)
    (dolist (c '(?+ ?- ?* ?= ?< ?> ?% ?! ?. ?, ?:))
      (modify-syntax-entry c "." table))
    (modify-syntax-entry ?\{ "(}" table)
    (modify-syntax-entry ?\} "){" table)
    (modify-syntax-entry ?\[ "(]" table)
    (modify-syntax-entry ?\] ")[" table)
    (modify-syntax-entry ?\( "()" table)
    (modify-syntax-entry ?\) ")(" table)
    table)
  "Syntax table of `compel-mode'.")

(defface compel-doc-comment-face '((t :inherit font-lock-doc-face))
  "Face of `///' doc comments.")

(defun compel--words (words)
  "A regexp matching any of WORDS as a whole symbol."
  (concat "\\_<" (regexp-opt words t) "\\_>"))

(defun compel--doc-comment-matcher (limit)
  "Find the next `///' doc comment (not `////') before LIMIT."
  (let (found)
    (while (and (not found) (re-search-forward "///\\(?:[^/\n].*\\)?$" limit t))
      (let ((start (match-beginning 0)))
        (when (and (not (nth 8 (save-excursion (syntax-ppss start))))
                   (nth 4 (save-excursion (syntax-ppss (+ start 2)))))
          (setq found t))))
    found))

(defconst compel-font-lock-keywords
  `((compel--doc-comment-matcher 0 'compel-doc-comment-face t)
    (,(compel--words compel-include-keywords) . font-lock-preprocessor-face)
    (,(compel--words (append compel-structure-keywords compel-enforcement-keywords
                             compel-other-keywords compel-operator-keywords))
     . font-lock-keyword-face)
    (,(compel--words compel-constant-keywords) . font-lock-constant-face)
    (,(concat (compel--words compel-declaration-kinds)
              "[ \t]+\\(\\(?:\\sw\\|\\s_\\)+\\)[ \t]*{")
     (1 font-lock-type-face) (2 font-lock-function-name-face))
    ("\\_<\\(?:policy\\|builtin\\)[ \t]+\\(\\(?:\\sw\\|\\s_\\)+\\)" 1 font-lock-function-name-face)
    ("\\_<let[ \t]+\\(\\(?:\\sw\\|\\s_\\)+\\)" 1 font-lock-variable-name-face)
    (,(concat (compel--words compel-builtin-functions) "[ \t]*(") 1 font-lock-builtin-face)
    (,(compel--words compel-prelude-names) . font-lock-constant-face)
    ;; Dates and times, then numbers with their units or currencies.
    ("\\_<[0-9]\\{4\\}-[0-9][0-9]-[0-9][0-9]\\(?:T[0-9:.]+\\(?:Z\\|[+-][0-9][0-9]:[0-9][0-9]\\)\\)?"
     . font-lock-constant-face)
    ("\\_<[0-9][0-9_]*\\(?:\\.[0-9][0-9_]*\\)?\\(?:%\\|ms\\|[smhdw]\\_>\\|[ \t]+[A-Z][A-Z][A-Z]\\_>\\)?"
     . font-lock-constant-face)
    ;; Attributes: the first word of a member line.
    ("^[ \t]*\\(\\(?:\\sw\\|\\s_\\)+\\)[ \t]+[^ \t\n{}.,)]" 1 font-lock-variable-name-face keep))
  "Highlighting of `compel-mode'.")

(defun compel--line-starts-with (words)
  "Whether the current line's first word is one of WORDS."
  (save-excursion
    (back-to-indentation)
    (looking-at-p (compel--words words))))

(defun compel--continuation-p ()
  "Whether the current line continues the expression of the line before:
it starts with a continuation word or an operator."
  (or (compel--line-starts-with compel-continuation-words)
      (save-excursion
        (back-to-indentation)
        (looking-at-p "\\(?:[-+*/<>]\\|==\\|!=\\)[ \t]"))))

(defun compel-indent-level ()
  "The column the current line belongs at, as `compel fmt' indents it:
two columns past the line that opened the innermost bracket, the opening
line's column for a line that starts with its closer, and two more for a
line that continues an expression."
  (save-excursion
    (back-to-indentation)
    (let* ((ppss (syntax-ppss))
           (open (nth 1 ppss)))
      (cond
       ((nth 3 ppss) (current-indentation)) ; inside a string: leave it
       ((null open) (if (compel--continuation-p) compel-indent-offset 0))
       (t
        (let ((closer (looking-at-p "[]})]"))
              (base (save-excursion (goto-char open) (current-indentation))))
          (cond (closer base)
                ((compel--continuation-p) (+ base (* 2 compel-indent-offset)))
                (t (+ base compel-indent-offset)))))))))

(defun compel-indent-line ()
  "Indent the current line as `compel fmt' would."
  (interactive)
  (let ((column (compel-indent-level))
        (offset (- (current-column) (current-indentation))))
    (indent-line-to column)
    (when (> offset 0)
      (move-to-column (+ column offset)))))

;;;###autoload
(define-derived-mode compel-mode prog-mode "compel"
  "Major mode for compel governance policies (`.compel' files)."
  :syntax-table compel-mode-syntax-table
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "///*[ \t]*")
  (setq-local comment-use-syntax t)
  (setq-local indent-tabs-mode nil)
  (setq-local tab-width compel-indent-offset)
  (setq-local indent-line-function #'compel-indent-line)
  (setq-local electric-indent-chars (append "{}[]()" electric-indent-chars))
  (setq-local font-lock-defaults '(compel-font-lock-keywords))
  (setq-local imenu-generic-expression
              `((nil ,(concat "^[ \t]*" (regexp-opt compel-declaration-kinds) "[ \t]+\\(\\(?:\\sw\\|\\s_\\)+\\)") 1))))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.compel\\'" . compel-mode))

;; The language server, for eglot (built in from Emacs 29; before that,
;; install the `eglot' package first).
(with-eval-after-load 'eglot
  (defvar eglot-server-programs)
  (add-to-list 'eglot-server-programs
               `(compel-mode . ,(lambda (&optional _interactive) compel-server-command))))

(provide 'compel-mode)
;;; compel-mode.el ends here
