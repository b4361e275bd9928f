; hostile: declare-fun with a non-list domain
; expect: error malformed line 3
(declare-fun f Int Int)
