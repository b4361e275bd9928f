; hostile: a keyword where a term is expected
; expect: error parse line 4
(declare-const x Int)
(assert (= x :named))
