; hostile: command include outside the allowlist after valid commands
; expect: refused include line 5
(declare-const x Int)
(assert (> x 0))
(include "/etc/passwd")
(check-sat)
