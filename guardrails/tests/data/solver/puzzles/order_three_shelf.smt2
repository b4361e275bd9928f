; puzzle: A red, a green and a blue book stand on a shelf. The green book is left of the blue one. The red book is rightmost. Which is leftmost?
; expect: values green = 1 unique
(declare-const red Int)
(declare-const green Int)
(declare-const blue Int)
(assert (and (<= 1 red 3) (<= 1 green 3) (<= 1 blue 3)))
(assert (distinct red green blue))
(assert (< green blue))
(assert (= red 3))
(check-sat)
(get-value (red green blue))
