//! The expansion, called directly on token streams: what each misuse says, and what a correct
//! use generates. No Qt, no qworker: the generated code is compiled by qworker's doc tests.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ItemFn;

use crate::expand::{expand, pretty, thread_worker};

/// The error message for this use; panics if it expands.
fn error(attr: TokenStream, item: TokenStream) -> String {
    match expand(attr, item) {
        Ok(tokens) => panic!("expected an error, got:\n{tokens}"),
        Err(e) => e.to_string(),
    }
}

/// The generated function; panics on an error.
fn generated(attr: TokenStream, item: TokenStream) -> ItemFn {
    let tokens = expand(attr, item).unwrap_or_else(|e| panic!("unexpected error: {e}"));
    syn::parse2(tokens).expect("the expansion is one function")
}

/// Generated code without any whitespace, to compare with what one would write.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn text(func: &ItemFn) -> String {
    squash(&func.to_token_stream().to_string())
}

fn return_type(func: &ItemFn) -> String {
    match &func.sig.output {
        syn::ReturnType::Type(_, ty) => squash(&ty.to_token_stream().to_string()),
        syn::ReturnType::Default => String::new(),
    }
}

/// `code` (squashed) contains each part (squashed).
fn assert_has(code: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            code.contains(&squash(part)),
            "the generated code should contain {part:?}:\n{code}"
        );
    }
}

/// The value of the `#[must_use = ".."]` and `#[doc = ".."]` attributes, in order.
fn attr_values(func: &ItemFn, name: &str) -> Vec<String> {
    func.attrs
        .iter()
        .filter(|a| a.path().is_ident(name))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "the message should contain {part:?}:\n{message}"
        );
    }
}

// ---- misuse: each message says what is wrong and what to write instead ----

#[test]
fn async_fn() {
    let m = error(
        quote!(),
        quote!(
            async fn load(path: String) -> Result<u32, BoxError> {
                Ok(1)
            }
        ),
    );
    assert_says(
        &m,
        &[
            "cannot be used on an `async fn`",
            "Remove `async`",
            "qworker::spawn_local(async { .. })",
        ],
    );
}

#[test]
fn method_with_self() {
    for receiver in [
        quote!(&self),
        quote!(&mut self),
        quote!(self),
        quote!(self: Box<Self>),
    ] {
        let m = error(
            quote!(),
            quote!(
                fn run(#receiver, n: u32) -> Result<u32, BoxError> {
                    Ok(n)
                }
            ),
        );
        assert_says(
            &m,
            &[
                "a method that takes `self`",
                "Write a free function",
                "by value",
            ],
        );
    }
}

#[test]
fn unknown_option_lists_the_known_ones() {
    let m = error(
        quote!(start = true),
        quote!(
            fn f() -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &[
            "unknown option `start`",
            "`connect(returned = f, ..)`",
            "`start_thread = true`",
            "`policy = Latest`",
            "`progress(total = n, desc = \"..\")`",
            "`name = \"..\"`",
        ],
    );
}

#[test]
fn a_path_as_option_is_unknown_too() {
    let m = error(
        quote!(qworker::policy = Latest),
        quote!(
            fn f() -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &["unknown option `qworker::policy`", "`start_thread = true`"],
    );
}

#[test]
fn napari_options_without_meaning_say_why() {
    let f = quote!(
        fn f() -> Result<(), E> {
            Ok(())
        }
    );
    let m = error(quote!(ignore_errors = true), f.clone());
    assert_says(
        &m,
        &[
            "never re-raised",
            "logged through Qt's message handler",
            "connect(errored = f)",
        ],
    );
    let m = error(quote!(worker_class = MyWorker), f);
    assert_says(&m, &["follows the signature", "qworker::Work", "from_work"]);
}

#[test]
fn generator_only_options_on_a_function_worker() {
    let function = quote!(
        fn average(n: usize) -> Result<f32, BoxError> {
            Ok(0.5)
        }
    );
    let add = "only generator workers yield; add a `cx: &mut Context<Y>` parameter";
    for attr in [
        quote!(connect(yielded = show)),
        quote!(connect(returned = done, yielded = [a, b])),
        quote!(connect(paused = p)),
        quote!(connect(resumed = r)),
        quote!(policy = Latest),
        quote!(progress(total = 10)),
    ] {
        let m = error(attr.clone(), function.clone());
        assert_says(&m, &["`average` is a function worker", add]);
    }
    let m = error(quote!(connect(yielded = show)), function.clone());
    assert_says(&m, &["`connect(yielded = ..)`"]);
    let m = error(quote!(policy = Bounded(4)), function.clone());
    assert_says(&m, &["`policy` says how yielded values are delivered"]);
    let m = error(quote!(progress(total = 10)), function);
    assert_says(
        &m,
        &[
            "counts one unit per yielded value",
            "cx.progress(done, total)",
        ],
    );

    // The same on a function worker with a context (it cannot yield either).
    let with_context = quote!(
        fn average(n: usize, cx: &mut Context) -> Result<f32, BoxError> {
            Ok(0.5)
        }
    );
    let m = error(quote!(connect(yielded = show)), with_context.clone());
    assert_says(&m, &[add]);
    let with_no_yield = quote!(
        fn average(n: usize, cx: &mut qworker::Context<qworker::NoYield>) -> Result<f32, E> {
            Ok(0.5)
        }
    );
    let m = error(quote!(policy = Latest), with_no_yield);
    assert_says(&m, &[add]);
}

#[test]
fn context_not_last() {
    let m = error(
        quote!(),
        quote!(
            fn scan(cx: &mut Context<u32>, steps: u32) -> Result<(), BoxError> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &[
            "must be the last parameter",
            "move `cx: &mut Context<u32>` to the end",
        ],
    );
}

#[test]
fn two_contexts() {
    let m = error(
        quote!(),
        quote!(
            fn scan(a: &mut Context<u32>, b: &mut Context<u32>) -> Result<(), BoxError> {
                Ok(())
            }
        ),
    );
    assert_says(&m, &["must be the last parameter"]);
}

#[test]
fn context_not_by_mutable_reference() {
    let m = error(
        quote!(),
        quote!(
            fn scan(steps: u32, cx: Context<u32>) -> Result<(), BoxError> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &[
            "taken by value",
            "take it by mutable reference: `cx: &mut Context<u32>`",
        ],
    );
    let m = error(
        quote!(),
        quote!(
            fn scan(steps: u32, cx: &qworker::Context<u32, u8>) -> Result<(), BoxError> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &[
            "taken by shared reference",
            "`cx: &mut qworker::Context<u32, u8>`",
        ],
    );
}

#[test]
fn context_pattern_instead_of_a_name() {
    for pat in [quote!(_), quote!(ref cx), quote!((cx))] {
        let m = error(
            quote!(),
            quote!(
                fn scan(steps: u32, #pat: &mut Context<u32>) -> Result<(), BoxError> {
                    Ok(())
                }
            ),
        );
        assert_says(
            &m,
            &[
                "must be a plain name, not a pattern",
                "write `cx: &mut Context<u32>`",
                "`_cx: &mut Context<u32>`",
            ],
        );
    }
}

#[test]
fn context_with_a_bad_shape() {
    let m = error(
        quote!(),
        quote!(
            fn f(cx: &mut Context<u32, u8, i8>) -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(&m, &["`Context`, `Context<Y>` or `Context<Y, S>`"]);
    let m = error(
        quote!(),
        quote!(
            fn f(cx: &mut Context<NoYield, u8>) -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(
        &m,
        &[
            "only generator workers are sent values",
            "`cx: &mut Context<Y, S>`",
        ],
    );
}

#[test]
fn missing_return_type() {
    let m = error(
        quote!(),
        quote!(
            fn average(n: usize) {}
        ),
    );
    assert_says(
        &m,
        &[
            "`average` has no return type",
            "must return `Result<R, E>`",
            "`-> Result<(), qworker::BoxError>`",
        ],
    );
}

#[test]
fn non_result_return_type() {
    for (ty, shown) in [
        (quote!(u32), "u32"),
        (quote!(Vec<f32>), "Vec<f32>"),
        (quote!(Option<u8>), "Option<u8>"),
        (quote!((u8, u8)), "(u8, u8)"),
        (quote!(impl Display), "impl Display"),
    ] {
        let m = error(
            quote!(),
            quote!(
                fn average(n: usize) -> #ty {
                    todo!()
                }
            ),
        );
        assert_says(
            &m,
            &[
                "must return `Result<R, E>`",
                "anyhow::Result<T>",
                &format!("not `{shown}`"),
                &format!("`-> Result<{shown}, qworker::BoxError>`"),
            ],
        );
    }
}

#[test]
fn not_a_function() {
    let m = error(
        quote!(),
        quote!(
            struct Worker;
        ),
    );
    assert_says(&m, &["goes on a function"]);
}

#[test]
fn const_and_extern_functions() {
    let m = error(
        quote!(),
        quote!(
            const fn f() -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(&m, &["`const fn`", "Remove `const`"]);
    let m = error(
        quote!(),
        quote!(
            extern "C" fn f() -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_says(&m, &["`extern` function", "Remove the `extern` ABI"]);
}

#[test]
fn option_syntax_errors() {
    let f = quote!(
        fn f(cx: &mut Context<u8>) -> Result<(), E> {
            Ok(())
        }
    );
    let m = error(quote!(connect(yeilded = show)), f.clone());
    assert_says(
        &m,
        &[
            "unknown signal `yeilded`",
            "`started`, `yielded`, `returned`, `errored`, `warned`, `progress`, `aborted`, \
             `paused`, `resumed`, `finished`",
        ],
    );
    let m = error(quote!(connect = returned), f.clone());
    assert_says(&m, &["`connect(returned = f, yielded = [g, h])`"]);
    let m = error(quote!(connect(returned)), f.clone());
    assert_says(&m, &["`connect(returned = f, yielded = [g, h])`"]);
    let m = error(quote!(start_thread = "yes"), f.clone());
    assert_says(&m, &["`start_thread` takes `true` or `false`"]);
    let m = error(quote!(policy = Newest), f.clone());
    assert_says(
        &m,
        &[
            "unknown policy `Newest`",
            "`policy = All`, `policy = Latest` or `policy = Bounded(n)`",
        ],
    );
    let m = error(quote!(policy = Bounded), f.clone());
    assert_says(&m, &["`policy = Bounded(n)`"]);
    let m = error(quote!(policy = Bounded(1, 2)), f.clone());
    assert_says(&m, &["`policy = Bounded(n)`"]);
    let m = error(quote!(policy = "latest"), f.clone());
    assert_says(&m, &["`policy = Latest`"]);
    let m = error(quote!(progress = true), f.clone());
    assert_says(&m, &["write `progress(total = n, desc = \"..\")`"]);
    let m = error(quote!(progress(count = 3)), f.clone());
    assert_says(&m, &["unknown progress option `count`", "`total`, `desc`"]);
    let m = error(quote!(name = "a", name = "b"), f.clone());
    assert_says(&m, &["`name` is given twice"]);
    let m = error(quote!(start_thread = true, start_thread = false), f);
    assert_says(&m, &["`start_thread` is given twice"]);
}

#[test]
fn an_error_keeps_the_function_as_written() {
    let item = quote!(
        async fn f() -> Result<(), E> {
            Ok(())
        }
    );
    let out = thread_worker(quote!(), item.clone()).to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.ends_with(&item.to_string()), "{out}");
}

// ---- what a correct use generates ----

const MUST_USE: &str = "a worker stops when it is dropped: keep it (`let worker = ...`), or \
     call `.detach()` to let it run to its end on its own";

#[test]
fn function_worker() {
    let f = generated(
        quote!(),
        quote!(
            /// Averages a large random stack.
            pub fn average_large_image(depth: usize, mut seed: u64) -> Result<Frame, BoxError> {
                seed += 1;
                Ok(Frame::random(depth, seed))
            }
        ),
    );
    assert_eq!(return_type(&f), "::qworker::FunctionWorker<Frame,BoxError>");
    assert_eq!(f.sig.inputs.len(), 2, "the arguments stay");
    assert!(matches!(f.vis, syn::Visibility::Public(_)));
    let t = text(&f);
    assert_has(
        &t,
        &[
            "let worker = ::qworker::function(move || -> Result<Frame, BoxError> {",
            ".named(\"average_large_image\");",
            "worker }",
        ],
    );
    assert!(!t.contains(".start()"), "not started by default: {t}");
    assert!(!t.contains("on_"), "no callbacks: {t}");
    assert_eq!(attr_values(&f, "must_use"), [MUST_USE]);
    let docs = attr_values(&f, "doc");
    assert_eq!(docs[0], " Averages a large random stack.");
    assert_eq!(docs[1], "");
    assert_says(
        &docs[2],
        &[
            "returns a function worker",
            "on a pool thread",
            "not started: call `start()`",
        ],
    );
}

#[test]
fn generator_worker() {
    let f = generated(
        quote!(),
        quote!(
            fn large_random_images(cx: &mut Context<Vec<f32>>) -> Result<(), BoxError> {
                Ok(())
            }
        ),
    );
    assert_eq!(
        return_type(&f),
        "::qworker::GeneratorWorker<Vec<f32>,(),(),BoxError>"
    );
    assert_eq!(f.sig.inputs.len(), 0, "the context is not a parameter");
    assert_has(
        &text(&f),
        &["::qworker::generator(move |cx: &mut Context<Vec<f32>>| -> Result<(), BoxError> {"],
    );
}

#[test]
fn generator_with_sent_values_and_a_qualified_context() {
    let f = generated(
        quote!(),
        quote!(
            fn multiplier(
                start: u64,
                cx: &mut qworker::Context<u64, u64>,
            ) -> Result<String, BoxError> {
                Ok(String::new())
            }
        ),
    );
    assert_eq!(
        return_type(&f),
        "::qworker::GeneratorWorker<u64,u64,String,BoxError>"
    );
    assert_eq!(
        squash(&f.sig.inputs.to_token_stream().to_string()),
        "start:u64"
    );
}

#[test]
fn function_worker_with_a_context() {
    for cx in [
        quote!(&mut Context),
        quote!(&mut qworker::Context),
        quote!(&mut Context<NoYield>),
        quote!(&mut Context<qworker::NoYield, ()>),
    ] {
        let f = generated(
            quote!(),
            quote!(
                fn sum(n: u64, mut cx: #cx) -> Result<u64, BoxError> {
                    Ok(n)
                }
            ),
        );
        assert_eq!(return_type(&f), "::qworker::FunctionWorker<u64,BoxError>");
        assert_eq!(squash(&f.sig.inputs.to_token_stream().to_string()), "n:u64");
        assert_has(
            &text(&f),
            &[&format!(
                "::qworker::function_with_context(move |mut cx: {cx}| -> Result<u64, BoxError>"
            )],
        );
    }
}

#[test]
fn result_aliases_go_through_worker_result() {
    for ret in [
        quote!(anyhow::Result<u32>),
        quote!(std::io::Result<u32>),
        quote!(MyResult<u32>),
    ] {
        let f = generated(
            quote!(),
            quote!(
                fn f(cx: &mut Context<u8>) -> #ret {
                    Ok(1)
                }
            ),
        );
        assert_eq!(
            return_type(&f),
            squash(&format!(
                "::qworker::GeneratorWorker<u8, (), \
                 <{ret} as ::qworker::__private::WorkerResult>::Ok, \
                 <{ret} as ::qworker::__private::WorkerResult>::Err>"
            ))
        );
        let with_docs = generated(
            quote!(),
            quote!(
                /// Docs.
                fn f(cx: &mut Context<u8>) -> #ret {
                    Ok(1)
                }
            ),
        );
        assert_says(
            &attr_values(&with_docs, "doc")[2],
            &[&format!(
                "generator worker (for the `Ok` and `Err` types of `{}`)",
                pretty(&ret)
            )],
        );
        // The body keeps the declared type.
        assert_has(&text(&f), &[&format!("| -> {ret} {{")]);
    }
    // The literal `Result<R, E>`, however it is spelled, is named in the signature.
    for ret in [
        quote!(Result<u32, MyError>),
        quote!(std::result::Result<u32, MyError>),
        quote!(::core::result::Result<u32, MyError>),
    ] {
        let f = generated(
            quote!(),
            quote!(
                fn f() -> #ret {
                    Ok(1)
                }
            ),
        );
        assert_eq!(return_type(&f), "::qworker::FunctionWorker<u32,MyError>");
    }
}

#[test]
fn connect_starts_the_worker() {
    let f = generated(
        quote!(connect(
            yielded = update_layer,
            returned = [done, |r| println!("{r}")],
            returned = log,
            errored = |e: &qworker::WorkerError<BoxError>| eprintln!("{e}"),
            finished = || {},
        )),
        quote!(
            /// Streams images.
            fn images(cx: &mut Context<u32>) -> Result<u32, BoxError> {
                Ok(1)
            }
        ),
    );
    let t = text(&f);
    let order = [
        "let worker = ::qworker::generator(",
        "worker.on_yielded(update_layer);",
        "worker.on_returned(done);",
        "worker.on_returned(|r| println!(\"{r}\"));",
        "worker.on_returned(log);",
        "worker.on_errored(|e: &qworker::WorkerError<BoxError>| eprintln!(\"{e}\"));",
        "worker.on_finished(|| {});",
        "if let ::core::result::Result::Err(error) = worker.start() {",
        "::qworker::__private::start_failed(&worker.name(), &error);",
        "} worker }",
    ];
    let mut at = 0;
    for part in order {
        let part = squash(part);
        let found = t[at..]
            .find(&part)
            .unwrap_or_else(|| panic!("{part:?} after byte {at} in:\n{t}"));
        at += found + part.len();
    }
    assert_says(
        &attr_values(&f, "doc")[2],
        &["returns a generator worker", "and starts it"],
    );
}

#[test]
fn start_thread_decides() {
    let item = quote!(
        fn f(cx: &mut Context<u32>) -> Result<(), E> {
            Ok(())
        }
    );
    let t = text(&generated(
        quote!(connect(returned = g), start_thread = false),
        item.clone(),
    ));
    assert!(
        t.contains("on_returned(g)") && !t.contains(".start()"),
        "{t}"
    );
    let t = text(&generated(quote!(start_thread = true), item.clone()));
    assert!(t.contains(".start()"), "{t}");
    let t = text(&generated(quote!(start_thread = false), item.clone()));
    assert!(!t.contains(".start()"), "{t}");
    // As in napari: even an empty `connect` starts it.
    let t = text(&generated(quote!(connect()), item));
    assert!(t.contains(".start()"), "{t}");
}

#[test]
fn policy_progress_and_name() {
    let item = quote!(
        fn render(frames: Vec<String>, cx: &mut Context<u32>) -> Result<(), E> {
            Ok(())
        }
    );
    for (policy, expected) in [
        (quote!(Latest), "::qworker::Policy::Latest"),
        (quote!(All), "::qworker::Policy::All"),
        (quote!(Bounded(4)), "::qworker::Policy::Bounded(4)"),
        (
            quote!(qworker::Policy::Bounded(2 * N)),
            "qworker::Policy::Bounded(2 * N)",
        ),
        (quote!(my_policy()), "my_policy()"),
    ] {
        let t = text(&generated(quote!(policy = #policy), item.clone()));
        assert_has(
            &t,
            &[
                &format!("let policy: ::qworker::Policy = {expected};"),
                ".policy(policy)",
            ],
        );
    }
    let f = generated(
        quote!(
            progress(total = frames.len() as u64, desc = "rendering"),
            name = format!("render {}", frames.len()),
        ),
        item.clone(),
    );
    let t = text(&f);
    // Evaluated before the body takes the arguments.
    let at = |part: &str| {
        t.find(&squash(part))
            .unwrap_or_else(|| panic!("{part:?} in {t}"))
    };
    let body = at("::qworker::generator(");
    assert!(at("let total: u64 = frames.len() as u64;") < body);
    assert!(at("let name = ::std::string::ToString::to_string(&(format!(") < body);
    assert_has(
        &t,
        &[".named(&name) .progress_total(total) .described(\"rendering\");"],
    );

    let t = text(&generated(
        quote!(name = "renderer", progress(desc = label)),
        item,
    ));
    assert_has(
        &t,
        &[
            "let desc = ::std::string::ToString::to_string(&(label));",
            ".named(\"renderer\") .described(&desc);",
        ],
    );
    // `desc` alone is fine on a function worker.
    let t = text(&generated(
        quote!(progress(desc = "averaging")),
        quote!(
            fn average() -> Result<(), E> {
                Ok(())
            }
        ),
    ));
    assert_has(&t, &[".described(\"averaging\")"]);
}

#[test]
fn generated_locals_are_mixed_site() {
    // A user's argument named like a generated local does not clash: the generated locals
    // have mixed-site hygiene, the user's tokens keep their spans.
    let tokens = expand(
        quote!(connect(returned = f), name = worker.to_string()),
        quote!(
            fn f(worker: u32, cx: &mut Context<u8>) -> Result<(), E> {
                Ok(())
            }
        ),
    )
    .unwrap();
    fn walk(tokens: TokenStream, spans: &mut Vec<String>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) if i == "worker" => {
                    spans.push(format!("{:?}", i.span()))
                }
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), spans),
                _ => {}
            }
        }
    }
    let mut spans = Vec::new();
    walk(tokens, &mut spans);
    let call_site = format!("{:?}", proc_macro2::Span::call_site());
    let mixed_site = format!("{:?}", proc_macro2::Span::mixed_site());
    assert!(spans.contains(&call_site), "the user's `worker`: {spans:?}");
    if call_site != mixed_site {
        assert!(
            spans.contains(&mixed_site),
            "the generated `worker`: {spans:?}"
        );
    }
}

#[test]
fn attributes_generics_and_where_clauses_carry_over() {
    let f = generated(
        quote!(),
        quote!(
            /// Loads one file.
            ///
            /// More text.
            #[inline]
            #[allow(clippy::needless_pass_by_value)]
            pub(crate) fn load<P>(path: P, cx: &mut Context<u8>) -> Result<Vec<u8>, BoxError>
            where
                P: AsRef<std::path::Path> + Send + 'static,
            {
                Ok(Vec::new())
            }
        ),
    );
    assert_has(
        &text(&f),
        &[
            "#[inline] #[allow(clippy::needless_pass_by_value)]",
            "pub(crate) fn load<P>(path: P) -> ::qworker::GeneratorWorker<u8, (), Vec<u8>, BoxError>",
            "where P: AsRef<std::path::Path> + Send + 'static, {",
        ],
    );
    let docs = attr_values(&f, "doc");
    assert_eq!(&docs[..3], [" Loads one file.", "", " More text."]);
    assert_eq!(docs[3], "");
    assert_says(&docs[4], &["*Worker function*"]);
}

#[test]
fn no_docs_no_worker_note_and_one_must_use() {
    let f = generated(
        quote!(),
        quote!(
            #[must_use = "mine"]
            fn f() -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert!(
        attr_values(&f, "doc").is_empty(),
        "missing_docs still applies"
    );
    assert_eq!(attr_values(&f, "must_use"), ["mine"]);
}

#[test]
fn raw_identifier_names() {
    let t = text(&generated(
        quote!(),
        quote!(
            fn r#match() -> Result<(), E> {
                Ok(())
            }
        ),
    ));
    assert_has(&t, &["fn r#match()", ".named(\"match\")"]);
}

#[test]
fn every_option_on_every_kind() {
    // Every kind with every option it accepts: the output is one valid function.
    let all_signals = quote!(connect(
        started = a,
        yielded = b,
        returned = c,
        errored = d,
        warned = e,
        progress = g,
        aborted = h,
        paused = i,
        resumed = j,
        finished = k
    ));
    let function_signals = quote!(connect(
        started = a,
        returned = c,
        errored = d,
        warned = e,
        progress = g,
        aborted = h,
        finished = k
    ));
    for (item, attr) in [
        (
            quote!(
                fn f(a: u8) -> Result<(), E> {
                    Ok(())
                }
            ),
            quote!(#function_signals, progress(desc = "x"), name = "n"),
        ),
        (
            quote!(
                fn f(a: u8, cx: &mut Context) -> Result<(), E> {
                    Ok(())
                }
            ),
            quote!(#function_signals, progress(desc = "x"), name = "n"),
        ),
        (
            quote!(
                fn f(a: u8, cx: &mut Context<u8, u8>) -> anyhow::Result<()> {
                    Ok(())
                }
            ),
            quote!(#all_signals, policy = Latest, progress(total = 3, desc = "x"), name = "n"),
        ),
    ] {
        let t = text(&generated(attr, item));
        assert!(t.contains(".start()"), "{t}");
        assert!(t.contains("worker.on_finished(k);"), "{t}");
    }
}

#[test]
fn pretty_types_in_messages() {
    assert_eq!(
        pretty(&quote!(&mut qworker::Context<Vec<u8>, ()>)),
        "&mut qworker::Context<Vec<u8>, ()>"
    );
    assert_eq!(pretty(&quote!((u8, u8))), "(u8, u8)");
}

#[test]
fn policy_names_and_expressions() {
    let item = quote!(
        fn f(p: qworker::Policy, cx: &mut Context<u8>) -> Result<(), E> {
            Ok(())
        }
    );
    for expr in [quote!(p), quote!(MY_POLICY), quote!(policies::newest())] {
        let t = text(&generated(quote!(policy = #expr), item.clone()));
        assert_has(&t, &[&format!("let policy: ::qworker::Policy = {expr};")]);
    }
    let m = error(quote!(policy = Bonded(3)), item);
    assert_says(&m, &["unknown policy `Bonded`", "`policy = Bounded(n)`"]);
}
