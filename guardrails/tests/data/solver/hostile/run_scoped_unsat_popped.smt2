; hostile: a contradiction inside a popped scope does not count
; expect: verdict sat
(declare-const x Int)
(push 1)
(assert false)
(pop 1)
(assert (> x 0))
(check-sat)
