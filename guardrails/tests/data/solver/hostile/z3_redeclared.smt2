; hostile: the same constant declared twice
; expect: error parse line 4
(declare-const x Int)
(declare-const x Int)
