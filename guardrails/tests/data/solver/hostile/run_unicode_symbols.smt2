; hostile: quoted symbols with unicode and spaces
; expect: verdict sat
(declare-const |café au lait| Int)
(assert (= |café au lait| 3))
(check-sat)
(get-value (|café au lait|))
