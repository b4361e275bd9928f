; hostile: assert of a string literal
; expect: error parse line 3
(assert "true")
