; hostile: a 100000-bit bit-vector
; expect: error index-too-large line 3
(declare-const x (_ BitVec 100000))
(assert (= x x))
