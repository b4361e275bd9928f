; hostile: nonlinear real arithmetic (nlsat is off: unknown, not a hang)
; expect: verdict unknown
(declare-const r Real)
(assert (= (* r r) 2.0))
(assert (> r 0.0))
(check-sat)
