; hostile: define-fun body of the wrong sort
; expect: error parse line 3
(define-fun f ((x Int)) Bool x)
