; hostile: assert false
; expect: verdict unsat
(assert false)
(check-sat)
