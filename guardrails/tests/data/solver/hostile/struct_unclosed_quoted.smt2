; hostile: a quoted symbol never closed
; expect: error unclosed-quoted line 3
(declare-const |x Int)
(check-sat)
