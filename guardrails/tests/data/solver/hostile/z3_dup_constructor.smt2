; hostile: datatype with a duplicate constructor
; expect: error parse line 3
(declare-datatypes ((T 0)) (((a) (a))))
