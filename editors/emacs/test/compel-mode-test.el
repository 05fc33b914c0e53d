;;; compel-mode-test.el --- Tests of compel-mode and eglot with compel lsp  -*- lexical-binding: t; -*-

;; emacs --batch -L editors/emacs -l editors/emacs/test/compel-mode-test.el \
;;   -f ert-run-tests-batch-and-exit
;;
;; Environment: COMPEL_BIN (the compel binary), COMPEL_TEST_DIR (a copy of
;; the acme example: acme.compel, people.compel, acme_test.compel) and
;; COMPEL_TEST_MISSPELT (a file with the misspelt KPI `acuracy', in its own
;; folder). Highlighting, comments and indentation need no server; the
;; eglot tests start the real `compel lsp' through `eglot-server-programs'.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'compel-mode)

(defun compel-test--env (name)
  (let ((value (getenv name)))
    (unless (and value (not (string-empty-p value)))
      (error "%s is not set" name))
    value))

(defun compel-test--file (name)
  (expand-file-name name (compel-test--env "COMPEL_TEST_DIR")))

(defun compel-test--text (file)
  (with-temp-buffer
    (insert-file-contents file)
    (buffer-string)))

(defmacro compel-test--with-text (text &rest body)
  "Run BODY in a `compel-mode' buffer holding TEXT, highlighted."
  (declare (indent 1))
  `(with-temp-buffer
     (insert ,text)
     (compel-mode)
     (font-lock-ensure)
     (goto-char (point-min))
     ,@body))

(defun compel-test--face-at (needle &optional offset)
  "The face at the first NEEDLE (a literal) after point, OFFSET chars in."
  (save-excursion
    (goto-char (point-min))
    (search-forward needle)
    (let ((face (get-text-property (+ (match-beginning 0) (or offset 0)) 'face)))
      (if (listp face) (car face) face))))

(defun compel-test--idle ()
  "Run the idle timers, as the command loop does when typing stops (batch
mode has no command loop): eglot sends `didChange' and Flymake checks then."
  (dolist (timer (copy-sequence timer-idle-list))
    (when (memq timer timer-idle-list)
      (cancel-timer timer)
      (apply (timer--function timer) (timer--args timer)))))

(defun compel-test--wait (seconds predicate)
  "Process server output until PREDICATE returns non-nil or SECONDS pass."
  (let ((deadline (+ (float-time) seconds))
        value)
    (while (and (not (setq value (funcall predicate)))
                (< (float-time) deadline))
      (compel-test--idle)
      (accept-process-output nil 0.05))
    value))

;;;; Without the server

(ert-deftest compel-mode-is-chosen-for-compel-files ()
  (should (eq (cdr (assoc "\\.compel\\'" auto-mode-alist)) 'compel-mode))
  (with-current-buffer (find-file-noselect (compel-test--file "acme.compel"))
    (unwind-protect (should (eq major-mode 'compel-mode))
      (kill-buffer))))

(ert-deftest compel-mode-highlights ()
  (compel-test--with-text (compel-test--text (compel-test--file "acme.compel"))
    (should (eq (compel-test--face-at "import") 'font-lock-preprocessor-face))
    (should (eq (compel-test--face-at "kpi fraud_loss_rate") 'font-lock-type-face))
    (should (eq (compel-test--face-at "kpi fraud_loss_rate" 4) 'font-lock-function-name-face))
    (should (eq (compel-test--face-at "require accuracy") 'font-lock-keyword-face))
    (should (eq (compel-test--face-at "expect  program") 'font-lock-keyword-face))
    (should (eq (compel-test--face-at "because") 'font-lock-keyword-face))
    (should (eq (compel-test--face-at "today") 'font-lock-constant-face))
    (should (eq (compel-test--face-at "avg(") 'font-lock-builtin-face))
    (should (eq (compel-test--face-at "92%") 'font-lock-constant-face))
    (should (eq (compel-test--face-at "2027-06-30") 'font-lock-constant-face))
    (should (eq (compel-test--face-at "\"Fraud AI\"") 'font-lock-string-face))
    (should (eq (compel-test--face-at "// Acme" 3) 'font-lock-comment-face))
    (should (eq (compel-test--face-at "/// Top-1") 'compel-doc-comment-face))
    ;; A keyword in a comment or a string is not highlighted as one.
    (should (eq (compel-test--face-at "sponsor        dana") 'font-lock-variable-name-face))))

(ert-deftest compel-mode-highlights-every-reserved-word ()
  ;; Each word of the mode's lists gets a keyword-like face where it stands
  ;; alone on a line (the lists themselves are held to the compiler's table
  ;; by tests/keywords.rs).
  (dolist (word (append compel-include-keywords compel-structure-keywords
                        compel-enforcement-keywords compel-other-keywords
                        compel-operator-keywords compel-constant-keywords))
    (compel-test--with-text (concat "x " word " y\n")
      (should (memq (compel-test--face-at (concat " " word " ") 1)
                    '(font-lock-preprocessor-face font-lock-keyword-face font-lock-constant-face))))))

(ert-deftest compel-mode-comments ()
  (compel-test--with-text "kpi a {\n  metric \"x\" // the metric\n}\n"
    (should (equal comment-start "// "))
    (search-forward "the metric")
    (should (nth 4 (syntax-ppss)))
    (search-backward "\"x\"")
    (should-not (nth 4 (syntax-ppss)))
    ;; M-; on a region comments it with `// '.
    (goto-char (point-min))
    (comment-region (point-min) (line-end-position))
    (should (string-prefix-p "// kpi a {" (buffer-string)))
    ;; `//' inside a string is not a comment.
    (erase-buffer)
    (insert "owner \"http://x\" // y\n")
    (goto-char (point-min))
    (search-forward "//x")
    (should-not (nth 4 (syntax-ppss)))))

(ert-deftest compel-mode-indents-as-compel-fmt ()
  ;; Every example file, its lines stripped of indentation, is indented back
  ;; to what `compel fmt' wrote.
  (dolist (name '("acme.compel" "people.compel" "acme_test.compel"))
    (let ((formatted (compel-test--text (compel-test--file name))))
      (compel-test--with-text formatted
        (goto-char (point-min))
        (while (not (eobp))
          (delete-horizontal-space)
          (forward-line 1))
        (should-not (equal (buffer-string) formatted))
        (indent-region (point-min) (point-max))
        (should (equal (buffer-string) formatted))))))

(ert-deftest compel-mode-indents-while-typing ()
  (compel-test--with-text ""
    (electric-indent-local-mode 1)
    (insert "kpi a {")
    (newline-and-indent)
    (should (equal (current-indentation) 2))
    (insert "metric \"x\"")
    (newline-and-indent)
    (insert "}")
    (indent-according-to-mode)
    (should (equal (buffer-string) "kpi a {\n  metric \"x\"\n}"))))

;;;; With eglot and the real server

(require 'eglot)

(defun compel-test--eglot-buffer (file)
  "Visit FILE and connect eglot, as `eglot-ensure' does; the buffer."
  (setq eglot-server-programs
        (cl-remove-if-not (lambda (entry) (eq (car entry) 'compel-mode)) eglot-server-programs))
  (setq compel-server-command (list (compel-test--env "COMPEL_BIN") "lsp"))
  (let ((buffer (find-file-noselect file)))
    (with-current-buffer buffer
      (should (eq major-mode 'compel-mode))
      (apply #'eglot (eglot--guess-contact))
      (should (compel-test--wait 15 (lambda () (eglot-current-server)))))
    buffer))

(defun compel-test--diagnostics ()
  (mapcar (lambda (d)
            (list (line-number-at-pos (flymake-diagnostic-beg d))
                  (flymake-diagnostic-type d)
                  (flymake-diagnostic-text d)))
          (flymake-diagnostics)))

(ert-deftest compel-eglot-diagnostics ()
  (let* ((file (compel-test--env "COMPEL_TEST_MISSPELT"))
         (buffer (compel-test--eglot-buffer file)))
    (with-current-buffer buffer
      (unwind-protect
          (let* ((line (save-excursion
                         (goto-char (point-min))
                         (re-search-forward "^[ \t]*kpis.*\\(acuracy\\)")
                         (line-number-at-pos)))
                 (found (compel-test--wait
                         15 (lambda ()
                              ;; Flymake defers its first check to the
                              ;; command loop, which batch mode lacks.
                              (unless (flymake-running-backends) (flymake-start))
                              (cl-find-if (lambda (d) (string-match-p "E0301.*acuracy\\|acuracy.*E0301"
                                                                      (nth 2 d)))
                                          (compel-test--diagnostics))))))
            (message "diagnostics: %S" (compel-test--diagnostics))
            (should found)
            (should (equal (car found) line))
            (should (memq (nth 1 found) '(eglot-error :error)))
            (should (string-match-p "did you mean `accuracy`" (nth 2 found)))
            ;; Fixing the typo clears it.
            (goto-char (point-min))
            (re-search-forward "^[ \t]*kpis.*\\(acuracy\\)")
            (replace-match "accuracy" t t nil 1)
            (should (compel-test--wait 15 (lambda () (null (compel-test--diagnostics))))))
        (ignore-errors (eglot-shutdown (eglot-current-server)))
        (set-buffer-modified-p nil)
        (kill-buffer buffer)))))

(ert-deftest compel-eglot-definition-and-completion ()
  (let ((buffer (compel-test--eglot-buffer (compel-test--file "acme.compel"))))
    (with-current-buffer buffer
      (unwind-protect
          (progn
            ;; The server has analysed the folder once a hover answers.
            (goto-char (point-min))
            (re-search-forward "kpis +\\[\\(accuracy\\)")
            (goto-char (match-beginning 1))
            (should (compel-test--wait
                     15 (lambda () (ignore-errors
                                     (jsonrpc-request (eglot-current-server) :textDocument/hover
                                                      (eglot--TextDocumentPositionParams))))))
            ;; M-. on a KPI: its `kpi' line in this file.
            (let ((start (point)))
              (call-interactively #'xref-find-definitions)
              (should (eq (current-buffer) buffer))
              (should (looking-at "accuracy {"))
              (should (string-prefix-p "kpi accuracy" (buffer-substring (line-beginning-position)
                                                                        (line-end-position))))
              (goto-char start))
            ;; M-. on a sponsor: `person dana' in people.compel.
            (goto-char (point-min))
            (re-search-forward "sponsor +\\(dana\\)")
            (goto-char (match-beginning 1))
            (call-interactively #'xref-find-definitions)
            (should (equal (file-name-nondirectory (buffer-file-name)) "people.compel"))
            (should (string-prefix-p "person dana" (buffer-substring (line-beginning-position)
                                                                       (line-end-position))))
            (set-buffer buffer)
            ;; Completion after `sponsor ': the persons.
            (goto-char (point-min))
            (re-search-forward "sponsor +dana")
            (delete-region (- (point) 4) (point))
            (let* ((capf (eglot-completion-at-point))
                   (table (nth 2 capf))
                   (names (all-completions "" table)))
              (message "completions after `sponsor ': %S" (mapcar #'substring-no-properties names))
              (should (member "dana" names))
              (should (member "priya" names)))
            ;; completion-at-point with a prefix inserts the one match.
            (insert "pri")
            (completion-at-point)
            (should (looking-back "sponsor +priya" (line-beginning-position))))
        (ignore-errors (eglot-shutdown (eglot-current-server)))
        (dolist (b (buffer-list))
          (when (and (buffer-file-name b) (string-suffix-p ".compel" (buffer-file-name b)))
            (with-current-buffer b (set-buffer-modified-p nil))
            (kill-buffer b)))))))

;;; compel-mode-test.el ends here
