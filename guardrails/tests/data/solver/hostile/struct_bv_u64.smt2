; hostile: a bit-vector width beyond u64
; expect: error index-too-large line 3
(declare-const x (_ BitVec 99999999999999999999999))
