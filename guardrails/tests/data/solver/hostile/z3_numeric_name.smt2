; hostile: a numeral as a constant name
; expect: error parse line 3
(declare-const 123 Int)
