; hostile: no declarations, trivially sat
; expect: verdict sat
(assert true)
(check-sat)
