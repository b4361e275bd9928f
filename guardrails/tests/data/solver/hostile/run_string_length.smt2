; hostile: a 100000-character string in a regular language with a hard suffix
; expect: verdict sat|unknown|timeout|memory
(declare-const s String)
(assert (str.in_re s (re.* (re.union (str.to_re "ab") (str.to_re "ba")))))
(assert (= (str.len s) 100000))
(assert (str.suffixof "aa" s))
(check-sat)
