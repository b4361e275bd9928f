; hostile: set-info with a string full of commands (harmless)
; expect: verdict sat
(set-info :source "(exit) (set-option :timeout 0) (include ""x"")")
(declare-const x Int)
(assert (> x 0))
(check-sat)
