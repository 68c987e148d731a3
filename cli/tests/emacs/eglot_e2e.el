;;; eglot_e2e.el --- Bona's language server driven by real Emacs + eglot  -*- lexical-binding: t -*-

;; Run by cli/tests/emacs_lsp.rs as
;;   emacs -Q --batch -l eglot_e2e.el FILE.trust
;; with these environment variables:
;;   README_SNIPPET  a file holding the elisp of README.md's Emacs section, loaded as a user's
;;                   init file would be: it alone tells Emacs about `.trust' files and `bona lsp'
;;   HOVER_POS       LINE,COLUMN (0-based) where to ask for a hover
;;   COMPLETE_POS    LINE,COLUMN (0-based) where to run `completion-at-point'
;; `bona' must be on PATH, as the README snippet runs it by name.
;;
;; Everything is printed to standard output as one line per fact, for the Rust test to parse:
;;   MODE <major mode>           LANGUAGE-ID <id>        COMMAND <server command line>
;;   DIAG <line>:<column> <flymake type> <text>          (line 1-based, column 0-based)
;;   HOVER <what eldoc shows>    COMPLETION <candidate,...>
;;   SHUTDOWN ok                 EXIT <process status> <exit code>
;; Newlines inside a value are printed as " | ".  Any error prints `ERROR <message>', then
;; `STDERR <line>' for what the server wrote to standard error, and exits with status 1.

(require 'cl-lib)
(require 'subr-x)
(require 'jsonrpc)

(defun e2e-out (fmt &rest args)
  (princ (concat (replace-regexp-in-string "\n" " | " (apply #'format fmt args)) "\n")))

(defun e2e-wait (what pred seconds)
  "Let processes and timers run until PRED is non-nil, for at most SECONDS.
Signal an error naming WHAT when it never holds."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      ;; What the command loop would do between two commands.
      (run-hooks 'post-command-hook))
    (or (funcall pred) (error "Timed out after %ss waiting for %s" seconds what))))

(defun e2e-goto (env)
  "Move point to the 0-based LINE,COLUMN held by environment variable ENV."
  (let ((spec (or (getenv env) (error "%s is not set" env))))
    (unless (string-match "\\`\\([0-9]+\\),\\([0-9]+\\)\\'" spec)
      (error "%s=%s is not LINE,COLUMN" env spec))
    (goto-char (point-min))
    (forward-line (string-to-number (match-string 1 spec)))
    (forward-char (string-to-number (match-string 2 spec)))))

(defun e2e-print-stderr (server)
  (let ((buffer (and server (jsonrpc-stderr-buffer server))))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (dolist (line (split-string (buffer-string) "\n" t))
          (e2e-out "STDERR %s" line))))))

;; What `package-initialize' does for Debian's elpa-eglot (Emacs 29 has eglot built in): put the
;; packages on the load path and read their autoloads.  Nothing else is configured.
(when (file-directory-p "/usr/share/emacs/site-lisp/elpa")
  (dolist (dir (directory-files "/usr/share/emacs/site-lisp/elpa" t "\\`[a-z]"))
    (add-to-list 'load-path dir)
    (dolist (autoloads (directory-files dir t "-autoloads\\.el\\'"))
      (load autoloads nil t))))
(unless (locate-library "eglot")
  (e2e-out "ERROR eglot is not installed (Debian: elpa-eglot; built in since Emacs 29)")
  (kill-emacs 1))

(defvar e2e-server nil)

(condition-case err
    (let ((file (or (car command-line-args-left) (error "No file to open")))
          (snippet (or (getenv "README_SNIPPET") (error "README_SNIPPET is not set"))))
      (setq command-line-args-left nil)
      ;; The user's configuration: README.md's Emacs section, verbatim.
      (load snippet nil t t)
      ;; Give the server a moment to exit by itself after eglot's `shutdown' and `exit',
      ;; so that its exit status can be reported; jsonrpc would otherwise kill it at once.
      (advice-add 'jsonrpc-shutdown :before
                  (lambda (conn &rest _)
                    (let ((process (jsonrpc--process conn)))
                      (ignore-errors
                        (e2e-wait "the server to exit" (lambda () (not (process-live-p process))) 10)))))

      ;; The command `find-file'; `eglot-ensure' (from the mode hook) connects after it.
      (find-file file)
      (run-hooks 'post-command-hook)
      (e2e-out "MODE %s" major-mode)
      (e2e-wait "eglot to manage the buffer"
                (lambda () (and (bound-and-true-p eglot--managed-mode) (eglot-current-server)))
                20)
      (setq e2e-server (eglot-current-server))
      (e2e-out "LANGUAGE-ID %s" (eglot--language-id e2e-server))
      (e2e-out "COMMAND %s" (string-join (process-command (jsonrpc--process e2e-server)) " "))

      ;; Diagnostics, as flymake holds them.
      (e2e-wait "flymake diagnostics" #'flymake-diagnostics 20)
      (dolist (d (sort (flymake-diagnostics) (lambda (a b) (< (flymake-diagnostic-beg a)
                                                               (flymake-diagnostic-beg b)))))
        (let ((beg (flymake-diagnostic-beg d)))
          (e2e-out "DIAG %d:%d %s %s" (line-number-at-pos beg)
                   (save-excursion (goto-char beg) (current-column))
                   (flymake-diagnostic-type d) (flymake-diagnostic-text d))))

      ;; A hover, through the eldoc function eglot installs (what the echo area would show).
      (e2e-goto "HOVER_POS")
      (let (hover)
        (unless (memq #'eglot-hover-eldoc-function eldoc-documentation-functions)
          (error "eglot-hover-eldoc-function is not in eldoc-documentation-functions: %S"
                 eldoc-documentation-functions))
        (eglot-hover-eldoc-function (lambda (info &rest _) (setq hover (or info 'none))))
        (e2e-wait "a hover" (lambda () hover) 20)
        (e2e-out "HOVER %s" (if (stringp hover) (substring-no-properties hover) hover)))

      ;; Completion, through `completion-at-point' and the functions eglot registered.
      (e2e-goto "COMPLETE_POS")
      (let (candidates)
        (let ((completion-in-region-function
               (lambda (start end collection predicate)
                 (setq candidates
                       (all-completions (buffer-substring-no-properties start (point))
                                        collection predicate))
                 (ignore end)
                 nil)))
          (completion-at-point))
        (e2e-out "COMPLETION %s"
                 (string-join (mapcar #'substring-no-properties candidates) ",")))

      (let ((process (jsonrpc--process e2e-server)))
        (eglot-shutdown e2e-server)
        (e2e-out "SHUTDOWN ok")
        (e2e-out "EXIT %s %s" (process-status process) (process-exit-status process))))
  (error
   (e2e-out "ERROR %s" (error-message-string err))
   (e2e-print-stderr e2e-server)
   (kill-emacs 1)))

(kill-emacs 0)
