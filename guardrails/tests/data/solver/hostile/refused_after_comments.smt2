; hostile: refused command hidden after comment lines and a string with parens
; expect: refused exit line 8
(declare-const x Int)
; (exit) in a comment is fine
(set-info :source "(exit) (include \"x\")")
; more
(assert (> x 0))
(exit)
