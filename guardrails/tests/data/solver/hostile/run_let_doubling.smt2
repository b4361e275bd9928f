; hostile: 20 nested lets, each doubling the term (2^20-fold as a tree)
; expect: verdict sat
(declare-const x Int)
(assert (let ((a1 (+ x x))) (let ((a2 (+ a1 a1))) (let ((a3 (+ a2 a2))) (let ((a4 (+ a3 a3))) (let ((a5 (+ a4 a4))) (let ((a6 (+ a5 a5))) (let ((a7 (+ a6 a6))) (let ((a8 (+ a7 a7))) (let ((a9 (+ a8 a8))) (let ((a10 (+ a9 a9))) (let ((a11 (+ a10 a10))) (let ((a12 (+ a11 a11))) (let ((a13 (+ a12 a12))) (let ((a14 (+ a13 a13))) (let ((a15 (+ a14 a14))) (let ((a16 (+ a15 a15))) (let ((a17 (+ a16 a16))) (let ((a18 (+ a17 a17))) (let ((a19 (+ a18 a18))) (let ((a20 (+ a19 a19))) (> a20 0))))))))))))))))))))))
(check-sat)
