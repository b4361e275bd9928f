; hostile: get-model and get-value are answered by flinch
; expect: verdict sat
(declare-const x Int)
(assert (= x 3))
(check-sat)
(get-model)
(get-value (x))
