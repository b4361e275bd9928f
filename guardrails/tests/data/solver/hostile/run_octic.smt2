; hostile: an eighth power equal to a non-power
; expect: verdict unsat|unknown|timeout
(declare-const x Int)
(assert (= (* x x x x x x x x) 1234567890123))
(check-sat)
