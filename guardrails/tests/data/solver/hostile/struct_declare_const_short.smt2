; hostile: declare-const without a sort
; expect: error malformed line 3
(declare-const xInt)
