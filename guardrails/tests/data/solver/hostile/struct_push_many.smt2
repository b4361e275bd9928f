; hostile: push of a billion scopes
; expect: error too-many-scopes line 3
(push 1000000000)
