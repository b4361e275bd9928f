//! The language as a user sees it: programs in, renderings or errors out.

use flinch_sandbox_guest::{ErrorKind, EvalConfig, GuestError, Outcome, ValueKind, evaluate};

fn run(p: &str) -> Result<Outcome, GuestError> {
    evaluate(p, &EvalConfig::default())
}

fn val(p: &str) -> String {
    match run(p) {
        Ok(o) => o.value.exact,
        Err(e) => panic!("{p:?} failed: {e}"),
    }
}

fn dec(p: &str) -> String {
    run(p).unwrap().value.decimal
}

fn err(p: &str) -> GuestError {
    match run(p) {
        Ok(o) => panic!("{p:?} gave {:?}", o.value),
        Err(e) => e,
    }
}

#[test]
fn word_problem_programs() {
    assert_eq!(val("books = 5*20 + 3*30 + 2*45\nbooks"), "280");
    assert_eq!(val("price = $20\ntip = price * 15%\nprice + tip"), "23");
    assert_eq!(val("eggs = 16 - 3 - 4\neggs * 2"), "18");
    assert_eq!(val("total = 0\ntotal += 5\ntotal *= 3\ntotal"), "15");
    assert_eq!(val("x = 3\ny = x ** 2  # square\nprint(y)"), "9");
    assert_eq!(val("import math\nmath.ceil(7 / 2)"), "4");
    assert_eq!(val("from math import floor, sqrt\nfloor(sqrt(17))"), "4");
    assert_eq!(val("a = 1; b = 2; a + b"), "3");
    assert_eq!(val("(1 +\n 2)"), "3");
}

#[test]
fn exact_rationals() {
    assert_eq!(val("1/3 + 1/6"), "1/2");
    assert_eq!(dec("1/3 + 1/6"), "0.5");
    assert_eq!(val("0.1 + 0.2"), "3/10");
    assert_eq!(dec("0.1 + 0.2"), "0.3");
    assert_eq!(val("6 / 3"), "2");
    assert_eq!(run("6/3").unwrap().value.kind, ValueKind::Integer);
    assert_eq!(run("1/3").unwrap().value.kind, ValueKind::Fraction);
    assert_eq!(run("1/8").unwrap().value.kind, ValueKind::Decimal);
    assert_eq!(val("2 ** 100"), "1267650600228229401496703205376");
    assert_eq!(val("2 ** -2"), "1/4");
    assert_eq!(val("1_000 * 1e3"), "1000000");
}

#[test]
fn python_precedence_and_signs() {
    assert_eq!(val("-2 ** 2"), "-4");
    assert_eq!(val("2 ** -1"), "1/2");
    assert_eq!(val("2 ** 3 ** 2"), "512");
    assert_eq!(val("-7 // 2"), "-4");
    assert_eq!(val("-7 % 3"), "2");
    assert_eq!(val("7 % -3"), "-2");
    assert_eq!(val("2 + 3 * 4 - 6 / 2"), "11");
    assert_eq!(val("--5"), "5");
    assert_eq!(val("+5"), "5");
    assert_eq!(val("10 - 2 - 3"), "5");
    assert_eq!(val("100 / 10 / 5"), "2");
    assert_eq!(val("7.5 // 2"), "3");
}

#[test]
fn percent_and_money() {
    assert_eq!(val("15%"), "3/20");
    assert_eq!(val("200 * 15%"), "30");
    assert_eq!(val("50% * 80"), "40");
    assert_eq!(val("(15%)"), "3/20");
    assert_eq!(val("x = 10\nx%"), "1/10");
    assert_eq!(val("17 % 5"), "2");
    assert_eq!(val("17 % (5)"), "2");
    assert_eq!(val("17 % -5"), "-3");
    // As the README says: `20% - 5` is Python's modulo, and brackets do not
    // make a percentage a term of a sum.
    assert_eq!(val("20% - 5"), "0");
    assert!(
        err("(20%) - 5")
            .message
            .starts_with("ambiguous percentage in a sum")
    );
    assert_eq!(val("20/100 - 5"), "-24/5");
    assert_eq!(val("-$5"), "-5");
    assert_eq!(val("$2.50 * 4"), "10");
    let e = err("100 + 15%");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(
        e.to_string(),
        "ambiguous percentage in a sum: 'a + 15%' could mean a + 0.15 or a increased by 15%; \
         write a * (1 + 15/100) or a + 15/100 at line 1, column 9"
    );
    assert_eq!(
        err("$ 20").message,
        "'$' must be directly followed by a number, as in $20"
    );
    assert_eq!(
        err("$x").message,
        "'$' must be directly followed by a number, as in $20"
    );
}

#[test]
fn functions() {
    assert_eq!(val("abs(-3)"), "3");
    assert_eq!(val("round(2.5)"), "2");
    assert_eq!(val("round(3.5)"), "4");
    assert_eq!(val("round(-2.5)"), "-2");
    assert_eq!(val("round(2.675, 2)"), "67/25");
    assert_eq!(val("round(1234, -2)"), "1200");
    assert_eq!(val("min(3, 1, 2)"), "1");
    assert_eq!(val("max([3, 1, 2])"), "3");
    assert_eq!(val("sum([1, 2, 3])"), "6");
    assert_eq!(val("sum((1, 2, 3), 10)"), "16");
    assert_eq!(val("floor(-2.5)"), "-3");
    assert_eq!(val("ceil(2.1)"), "3");
    assert_eq!(val("int(-2.7)"), "-2");
    assert_eq!(val("float(1) / 4"), "1/4");
    assert_eq!(val("pow(2, 10)"), "1024");
    assert_eq!(val("sqrt(16)"), "4");
    assert_eq!(val("factorial(0)"), "1");
    assert_eq!(val("math.factorial(7)"), "5040");
    assert_eq!(val("factorial(25)"), "15511210043330985984000000");
    assert_eq!(val("factorial(3) * 2"), "12");
    assert_eq!(val("sqrt(2.25)"), "3/2");
    let r = run("sqrt(2)").unwrap().value;
    assert_eq!(r.kind, ValueKind::Approximate);
    assert_eq!(r.exact, "1.4142135623730950488");
    assert_eq!(val("27 ** (1/3)"), "3");
    assert_eq!(val("sum = 4\nsum * 2"), "8");
}

#[test]
fn function_errors() {
    assert_eq!(
        err("round(1, 2, 3)").message,
        "round() takes 1 or 2 arguments (3 given)"
    );
    assert_eq!(err("abs()").message, "abs() takes 1 argument (0 given)");
    assert_eq!(
        err("sum(1, 2, 3)").message,
        "sum() takes a list and an optional start (3 given): write sum([a, b, c])"
    );
    assert_eq!(
        err("sum(5)").message,
        "sum() takes a list: write sum([a, b, c])"
    );
    assert_eq!(
        err("min(5)").message,
        "min() needs two or more values, or one list"
    );
    assert_eq!(err("max([])").message, "max() of an empty list");
    assert_eq!(
        err("pow(2, 3, 5)").message,
        "pow() with a modulus is not supported"
    );
    assert_eq!(err("sqrt(-1)").kind, ErrorKind::Domain);
    assert_eq!(err("factorial(-1)").kind, ErrorKind::Domain);
    assert_eq!(err("factorial(2.5)").kind, ErrorKind::Type);
    assert_eq!(err("factorial(sqrt(2))").kind, ErrorKind::Type);
    assert_eq!(err("[1, 2] + 1").kind, ErrorKind::Type);
    assert_eq!(
        err("round(2, ndigits=1)").message,
        "keyword arguments are not supported"
    );
}

#[test]
fn errors_have_positions() {
    let e = err("(1 + 2");
    assert_eq!((e.kind, e.line, e.column), (ErrorKind::Syntax, 1, 7));
    assert_eq!(e.to_string(), "expected ')' at line 1, column 7");
    let e = err("x = 1\ny = x / 0");
    assert_eq!(
        (e.kind, e.line, e.column),
        (ErrorKind::DivisionByZero, 2, 7)
    );
    assert_eq!(e.message, "division by zero");
    let e = err("a = 2\nb");
    assert_eq!(e.to_string(), "name 'b' is not defined at line 2, column 1");
    assert_eq!(err("x += 1").kind, ErrorKind::UnknownName);
    assert_eq!(err("1 // 0").message, "integer division by zero");
    assert_eq!(err("0 ** -1").kind, ErrorKind::DivisionByZero);
}

#[test]
fn empty_programs() {
    for p in [
        "",
        "   ",
        "\n\n",
        "# just a comment",
        "# a\n\n# b\n",
        "import math",
    ] {
        let e = err(p);
        assert_eq!(e.kind, ErrorKind::Empty, "{p:?}");
        assert_eq!(e.message, "the program has no expression to evaluate");
    }
}

#[test]
fn size_is_bounded_before_work() {
    let e = err("2 ** 2 ** 40");
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert_eq!(e.column, 3);
    assert_eq!(err("9 ** 9 ** 9 ** 9").kind, ErrorKind::TooLarge);
    // Refused from the estimate, before any multiplication.
    assert_eq!(err("factorial(10 ** 6)").kind, ErrorKind::TooLarge);
    assert_eq!(err("factorial(10 ** 30)").kind, ErrorKind::TooLarge);
    assert_eq!(err("10 ** 10000 * 10 ** 10000").kind, ErrorKind::TooLarge);
    assert_eq!(err("0.5 ** 100000").kind, ErrorKind::TooLarge);
    assert_eq!(val("(-1) ** (10 ** 100)"), "1");
    assert_eq!(val("1 ** (10 ** 1000)"), "1");
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}1{}", "(".repeat(99), ")".repeat(99));
    assert_eq!(val(&ok), "1");
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    let e = err(&deep);
    assert_eq!(e.kind, ErrorKind::TooDeep);
    assert_eq!(
        e.message,
        "nesting too deep: more than 100 levels of brackets, signs or powers"
    );
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(err(&deep).kind, ErrorKind::TooDeep);
    assert_eq!(err(&"-".repeat(100_000)).kind, ErrorKind::TooDeep);
    let tower = vec!["2"; 200].join(" ** ");
    assert_eq!(err(&tower).kind, ErrorKind::TooDeep);
    let long_sum = vec!["1"; 50_000].join(" + ");
    assert_eq!(val(&long_sum), "50000");
}

#[test]
fn python_escapes_are_plain_errors() {
    let cases = [
        (
            "__import__('os').system('ls')",
            ErrorKind::UnknownName,
            "unknown function '__import__'; the functions are abs, ceil, factorial, float, floor, int, max, min, pow, round, sqrt, sum",
        ),
        (
            "open('/etc/passwd')",
            ErrorKind::UnknownName,
            "unknown function 'open'; the functions are abs, ceil, factorial, float, floor, int, max, min, pow, round, sqrt, sum",
        ),
        (
            "lambda: 1",
            ErrorKind::Syntax,
            "'lambda' is not supported: a program is arithmetic, names, and the functions abs, ceil, factorial, float, floor, int, max, min, pow, round, sqrt, sum",
        ),
        (
            "x.__class__",
            ErrorKind::Syntax,
            "attribute access is not supported",
        ),
        (
            "import os",
            ErrorKind::Syntax,
            "only 'import math' is accepted (and not needed)",
        ),
        (
            "math.pi",
            ErrorKind::UnknownName,
            "math.pi is not available; the functions are abs, ceil, factorial, float, floor, int, max, min, pow, round, sqrt, sum",
        ),
        ("x[0]", ErrorKind::Syntax, "indexing is not supported"),
        (
            "1,000",
            ErrorKind::Syntax,
            "unexpected ','; write numbers without thousands separators (1000 or 1_000), one statement per line",
        ),
        (
            "2(3)",
            ErrorKind::Syntax,
            "a '(' right after a value: write '*' to multiply, as in 2 * (3 + 4)",
        ),
        (
            "2 3",
            ErrorKind::Syntax,
            "two values in a row: write an operator between them",
        ),
    ];
    for (p, kind, msg) in cases {
        let e = err(p);
        assert_eq!((e.kind, e.message.as_str()), (kind, msg), "{p:?}");
    }
}

#[test]
fn assignments_are_reported_in_order() {
    let o = run("a = 2\nb = a / 4\na = 3\na + b").unwrap();
    let got: Vec<(String, String)> = o
        .assignments
        .iter()
        .map(|a| (a.name.clone(), a.value.exact.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".into(), "2".into()),
            ("b".into(), "1/2".into()),
            ("a".into(), "3".into())
        ]
    );
    assert_eq!(o.value.exact, "7/2");
    assert_eq!(o.value.decimal, "3.5");
}

/// Found by the boundary proptest: at the nesting limit, a lexer error in the
/// next token was reported as `too_deep` at line 0, column 0.
#[test]
fn depth_limit_reports_the_next_tokens_own_error_with_its_position() {
    let cfg = EvalConfig {
        max_nesting: 1,
        ..EvalConfig::default()
    };
    let e = evaluate("+1x", &cfg).unwrap_err();
    assert_eq!((e.kind, e.line, e.column), (ErrorKind::Syntax, 1, 2));
    assert_eq!(
        e.message,
        "invalid number literal: a number cannot be followed directly by 'x'"
    );
    let e = evaluate("+1", &cfg).unwrap_err();
    assert_eq!((e.kind, e.line, e.column), (ErrorKind::TooDeep, 1, 2));
}
