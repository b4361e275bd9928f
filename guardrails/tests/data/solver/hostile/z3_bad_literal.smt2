; hostile: a malformed binary literal
; expect: error parse line 4
(declare-const x (_ BitVec 2))
(assert (= x #b2))
