; hostile: a real square root of 2 (algebraic model value)
; expect: verdict sat
(declare-const r Real)
(assert (= (* r r) 2.0))
(assert (> r 0.0))
(check-sat)
