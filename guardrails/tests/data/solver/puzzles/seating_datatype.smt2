; puzzle: Three guests each wear one colour, red, blue or white, all different. Al does not wear red. Bea wears blue. What does Al wear?
; expect: values al = white unique
(declare-datatypes ((Colour 0)) (((red) (blue) (white))))
(declare-const al Colour)
(declare-const bea Colour)
(declare-const cy Colour)
(assert (distinct al bea cy))
(assert (not (= al red)))
(assert (= bea blue))
(check-sat)
(get-value (al))
