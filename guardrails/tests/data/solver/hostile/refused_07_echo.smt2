; hostile: command echo outside the allowlist after valid commands
; expect: refused echo line 5
(declare-const x Int)
(assert (> x 0))
(echo "pwned")
(check-sat)
