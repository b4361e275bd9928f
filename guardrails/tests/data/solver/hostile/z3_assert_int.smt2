; hostile: assert of an Int
; expect: error parse line 3
(assert 42)
