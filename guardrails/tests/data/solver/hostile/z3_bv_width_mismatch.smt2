; hostile: bit-vectors of different widths
; expect: error parse line 5
(declare-const a (_ BitVec 8))
(declare-const b (_ BitVec 16))
(assert (= a b))
