; hostile: push one past the limit
; expect: error too-many-scopes line 3
(push 17)
