; hostile: zero_extend by a million bits
; expect: error index-too-large line 4
(declare-const x (_ BitVec 8))
(assert (= ((_ zero_extend 1000000) x) ((_ zero_extend 1000000) x)))
