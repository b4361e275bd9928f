; hostile: integer division by zero (unspecified, not an error)
; expect: verdict sat
(declare-const x Int)
(assert (= x (div 1 0)))
(check-sat)
