; hostile: a push never popped: its assertions stay
; expect: verdict unsat
(declare-const x Int)
(push 1)
(assert (> x 0))
(assert (< x 0))
(check-sat)
