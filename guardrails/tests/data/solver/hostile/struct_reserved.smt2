; hostile: a name reserved by flinch
; expect: error reserved-name line 3
(declare-const |flinch claim| Bool)
