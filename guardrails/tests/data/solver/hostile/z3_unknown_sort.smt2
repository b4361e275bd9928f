; hostile: an undeclared sort
; expect: error parse line 3
(declare-const x Person)
