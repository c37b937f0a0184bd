//! The expansion of `#[thread_worker]`: check the function, then write a function with the
//! same name, documentation, attributes, visibility, generics and parameters (minus the
//! context) that builds the worker.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, Ident, ItemFn, Lit, Pat, PatIdent,
    PathArguments, ReturnType, Type, TypePath,
};

use crate::options::{Options, Signal};

/// The whole expansion: the generated function, or the error followed by the function as it
/// was written (so the rest of the crate still sees it and reports nothing more about it).
pub(crate) fn thread_worker(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(item);
            tokens
        }
    }
}

/// What the worker function is, from its signature.
enum Kind {
    /// No context: `qworker::function`.
    Function,
    /// `cx: &mut Context` (no yield type): `qworker::function_with_context`.
    WithContext,
    /// `cx: &mut Context<Y, S>`: `qworker::generator`.
    Generator { y: Box<Type>, s: Box<Type> },
}

impl Kind {
    fn is_generator(&self) -> bool {
        matches!(self, Kind::Generator { .. })
    }
}

/// The context parameter, taken out of the generated function's parameters.
struct ContextParam {
    attrs: Vec<Attribute>,
    pat: PatIdent,
    ty: Type,
}

/// `R` and `E` of the declared return type.
enum Output {
    /// Written `Result<R, E>`: the generated signature names them.
    Literal { ok: Box<Type>, err: Box<Type> },
    /// An alias (`anyhow::Result<T>`, `io::Result<T>`): projections through `WorkerResult`.
    Alias,
}

/// Expands, or says what is wrong and what to write instead.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = Options::parse(attr)?;
    let func = parse_fn(item)?;
    check_signature(&func)?;
    let (kind, context) = context(&func)?;
    let output = output(&func)?;
    check_options(&options, &kind, &func.sig.ident)?;
    Ok(generate(&options, &func, &kind, context, &output))
}

fn parse_fn(item: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(func) => Ok(func),
        Err(error) => match syn::parse2::<syn::Item>(item) {
            Ok(other) => Err(syn::Error::new(
                item_span(&other),
                "`#[thread_worker]` goes on a function: \
                 `#[thread_worker] fn work(args..) -> Result<R, E> { .. }`",
            )),
            Err(_) => Err(error),
        },
    }
}

/// The span of an item's first tokens (its keyword and name), for "not a function".
fn item_span(item: &syn::Item) -> Span {
    let mut tokens = item.to_token_stream().into_iter();
    tokens.next().map_or_else(Span::call_site, |t| t.span())
}

fn check_signature(func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    if let Some(token) = &sig.asyncness {
        return Err(syn::Error::new(
            token.span,
            "`#[thread_worker]` cannot be used on an `async fn`: the body runs on a pool \
             thread, not in an async executor. Remove `async` and write the body as blocking \
             code; for async code on the GUI event loop, use `qworker::spawn_local(async { .. })`",
        ));
    }
    if let Some(token) = &sig.constness {
        return Err(syn::Error::new(
            token.span,
            "`#[thread_worker]` cannot be used on a `const fn`: creating a worker is not a \
             constant operation. Remove `const`",
        ));
    }
    if let Some(abi) = &sig.abi {
        return Err(syn::Error::new(
            abi.extern_token.span,
            "`#[thread_worker]` cannot be used on an `extern` function: it returns a Rust \
             worker value. Remove the `extern` ABI",
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new(
            receiver.span(),
            "`#[thread_worker]` cannot be used on a method that takes `self`: the body runs on \
             another thread and must own everything it uses. Write a free function (or an \
             associated function without `self`) that takes the data it needs by value, \
             e.g. `fn work(data: Data) -> Result<R, E>`, and call it from the method",
        ));
    }
    Ok(())
}

/// The kind of worker, and the context parameter if there is one.
fn context(func: &ItemFn) -> syn::Result<(Kind, Option<ContextParam>)> {
    let inputs = &func.sig.inputs;
    let last = inputs.len().saturating_sub(1);
    for (i, arg) in inputs.iter().enumerate() {
        let FnArg::Typed(param) = arg else { continue };
        let Some((by, path)) = context_type(&param.ty) else {
            continue;
        };
        let shown = pretty(&param.ty.to_token_stream());
        if i != last {
            return Err(syn::Error::new(
                param.span(),
                format!(
                    "the context parameter must be the last parameter: move `{}: {shown}` to \
                     the end (the parameters before it are the worker's arguments)",
                    pretty(&param.pat.to_token_stream()),
                ),
            ));
        }
        if by != By::MutRef {
            let taken = if by == By::Ref {
                "by shared reference"
            } else {
                "by value"
            };
            let inner = pretty(&path.to_token_stream());
            return Err(syn::Error::new(
                param.ty.span(),
                format!(
                    "the context is taken {taken} here; take it by mutable reference: \
                     `cx: &mut {inner}`"
                ),
            ));
        }
        let pat = match &*param.pat {
            Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => ident.clone(),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    format!(
                        "the context parameter must be a plain name, not a pattern: write \
                         `cx: {shown}` (or `_cx: {shown}` if the body does not use it)"
                    ),
                ));
            }
        };
        let kind = context_kind(path)?;
        let context = ContextParam {
            attrs: param.attrs.clone(),
            pat,
            ty: (*param.ty).clone(),
        };
        return Ok((kind, Some(context)));
    }
    Ok((Kind::Function, None))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    MutRef,
    Ref,
    Value,
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        other => other,
    }
}

/// A type whose path ends in `Context`, and how it is taken.
fn context_type(ty: &Type) -> Option<(By, &TypePath)> {
    let (by, inner) = match strip(ty) {
        Type::Reference(r) => {
            let by = if r.mutability.is_some() {
                By::MutRef
            } else {
                By::Ref
            };
            (by, strip(&r.elem))
        }
        other => (By::Value, other),
    };
    match inner {
        Type::Path(path)
            if path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Context") =>
        {
            Some((by, path))
        }
        _ => None,
    }
}

fn last_ident_is(ty: &Type, name: &str) -> bool {
    match strip(ty) {
        Type::Path(p) => {
            p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == name)
        }
        _ => false,
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(strip(ty), Type::Tuple(t) if t.elems.is_empty())
}

/// `Context` / `Context<NoYield>`: a function worker with a context; `Context<Y>` /
/// `Context<Y, S>`: a generator.
fn context_kind(path: &TypePath) -> syn::Result<Kind> {
    const SHAPE: &str = "`Context<Y, S>` takes the yielded type `Y` and the sent type `S` \
         (both optional): `Context`, `Context<Y>` or `Context<Y, S>`";
    let segment = path
        .path
        .segments
        .last()
        .expect("a path ending in `Context`");
    let types: Vec<&Type> = match &segment.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(args) => {
            let mut types = Vec::new();
            for arg in &args.args {
                match arg {
                    GenericArgument::Type(ty) => types.push(ty),
                    other => return Err(syn::Error::new(other.span(), SHAPE)),
                }
            }
            types
        }
        PathArguments::Parenthesized(args) => return Err(syn::Error::new(args.span(), SHAPE)),
    };
    match types.as_slice() {
        [] => Ok(Kind::WithContext),
        [y] if last_ident_is(y, "NoYield") => Ok(Kind::WithContext),
        [y, s] if last_ident_is(y, "NoYield") => {
            if is_unit(s) {
                Ok(Kind::WithContext)
            } else {
                Err(syn::Error::new(
                    s.span(),
                    "a worker that yields nothing (`NoYield`) is a function worker, and only \
                     generator workers are sent values: give the yielded type, \
                     `cx: &mut Context<Y, S>`, or drop the sent type, `cx: &mut Context`",
                ))
            }
        }
        [y] => Ok(Kind::Generator {
            y: Box::new((*y).clone()),
            s: Box::new(syn::parse_quote!(())),
        }),
        [y, s] => Ok(Kind::Generator {
            y: Box::new((*y).clone()),
            s: Box::new((*s).clone()),
        }),
        _ => Err(syn::Error::new(segment.arguments.span(), SHAPE)),
    }
}

fn output(func: &ItemFn) -> syn::Result<Output> {
    let ty = match &func.sig.output {
        ReturnType::Default => {
            return Err(syn::Error::new(
                func.sig.ident.span(),
                format!(
                    "`{}` has no return type; a `#[thread_worker]` function must return \
                     `Result<R, E>`: its `Ok` value is delivered as `returned`, its `Err` as \
                     `errored`. Add one, e.g. `-> Result<(), qworker::BoxError>`, and end the \
                     body with `Ok(())`",
                    func.sig.ident
                ),
            ));
        }
        ReturnType::Type(_, ty) => ty,
    };
    if let Type::Path(path) = strip(ty)
        && let Some(last) = path.path.segments.last()
        && last.ident.unraw().to_string().ends_with("Result")
    {
        if last.ident == "Result"
            && let PathArguments::AngleBracketed(args) = &last.arguments
            && let [GenericArgument::Type(ok), GenericArgument::Type(err)] =
                args.args.iter().collect::<Vec<_>>().as_slice()
        {
            return Ok(Output::Literal {
                ok: Box::new((*ok).clone()),
                err: Box::new((*err).clone()),
            });
        }
        return Ok(Output::Alias);
    }
    let shown = pretty(&ty.to_token_stream());
    Err(syn::Error::new(
        ty.span(),
        format!(
            "a `#[thread_worker]` function must return `Result<R, E>` (or a `Result` alias \
             such as `anyhow::Result<T>` or `std::io::Result<T>`), not `{shown}`: its `Ok` \
             value is delivered as `returned`, its `Err` as `errored`. Write \
             `-> Result<{shown}, qworker::BoxError>` and return `Ok(..)`"
        ),
    ))
}

/// Options that only make sense for generator workers.
fn check_options(options: &Options, kind: &Kind, name: &Ident) -> syn::Result<()> {
    if kind.is_generator() {
        return Ok(());
    }
    const ADD: &str = "only generator workers yield; add a `cx: &mut Context<Y>` parameter \
         (last; `Y` is the type of the values) and call `cx.yield_(value)?` in the body";
    if let Some(handler) = options.connect.iter().find(|h| h.signal.generator_only()) {
        let what = match handler.signal {
            Signal::Yielded => "`yielded` is emitted for each yielded value",
            _ => "generator workers pause at their yields",
        };
        return Err(syn::Error::new(
            handler.key.span(),
            format!(
                "`connect({} = ..)`: `{name}` is a function worker, and {what}: {ADD}",
                handler.key
            ),
        ));
    }
    if let Some((_, span)) = &options.policy {
        return Err(syn::Error::new(
            *span,
            format!(
                "`policy` says how yielded values are delivered, and `{name}` is a function \
                 worker: {ADD}"
            ),
        ));
    }
    if let Some((_, span)) = &options.total {
        return Err(syn::Error::new(
            *span,
            format!(
                "`progress(total = ..)` counts one unit per yielded value, and `{name}` is a \
                 function worker: {ADD}. (A function worker reports progress itself: take \
                 `cx: &mut Context` and call `cx.progress(done, total)?`)"
            ),
        ));
    }
    Ok(())
}

/// The identifier of a local of the generated code, invisible to the user's code.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn generate(
    options: &Options,
    func: &ItemFn,
    kind: &Kind,
    context: Option<ContextParam>,
    output: &Output,
) -> TokenStream {
    let declared = match &func.sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => unreachable!("checked by `output`"),
    };
    let (ok, err) = match output {
        Output::Literal { ok, err } => (ok.to_token_stream(), err.to_token_stream()),
        Output::Alias => (
            quote_spanned!(declared.span()=>
                <#declared as ::qworker::__private::WorkerResult>::Ok),
            quote_spanned!(declared.span()=>
                <#declared as ::qworker::__private::WorkerResult>::Err),
        ),
    };
    let worker_type = match kind {
        Kind::Generator { y, s } => quote!(::qworker::GeneratorWorker<#y, #s, #ok, #err>),
        _ => quote!(::qworker::FunctionWorker<#ok, #err>),
    };

    let mut sig = func.sig.clone();
    if context.is_some() {
        sig.inputs.pop();
        if sig.inputs.trailing_punct() {
            sig.inputs.pop_punct();
        }
    }
    sig.output = syn::parse_quote!(-> #worker_type);

    // Options that may use the arguments are evaluated before the body takes them.
    let mut prelude = Vec::new();
    let name = match &options.name {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => s.to_token_stream(),
        Some(expr) => {
            let var = local("name");
            prelude.push(quote!(let #var = ::std::string::ToString::to_string(&(#expr));));
            quote!(&#var)
        }
        None => {
            let fn_name = func.sig.ident.unraw().to_string();
            quote!(#fn_name)
        }
    };
    let policy = options.policy.as_ref().map(|(expr, _)| {
        let var = local("policy");
        prelude.push(quote!(let #var: ::qworker::Policy = #expr;));
        var
    });
    let total = options.total.as_ref().map(|(expr, _)| {
        let var = local("total");
        prelude.push(quote!(let #var: u64 = #expr;));
        var
    });
    let desc = options.desc.as_ref().map(|expr| match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s.to_token_stream(),
        expr => {
            let var = local("desc");
            prelude.push(quote!(let #var = ::std::string::ToString::to_string(&(#expr));));
            quote!(&#var)
        }
    });

    let block = &func.block;
    let mut chain = match (kind, &context) {
        (Kind::Function, _) => quote!(::qworker::function(move || -> #declared #block)),
        (_, Some(cx)) => {
            let (attrs, pat, ty) = (&cx.attrs, &cx.pat, &cx.ty);
            let constructor = if kind.is_generator() {
                format_ident!("generator")
            } else {
                format_ident!("function_with_context")
            };
            quote!(::qworker::#constructor(move |#(#attrs)* #pat: #ty| -> #declared #block))
        }
        (_, None) => unreachable!("a context kind has a context parameter"),
    };
    chain.extend(quote!(.named(#name)));
    if let Some(policy) = &policy {
        chain.extend(quote!(.policy(#policy)));
    }
    if let Some(total) = &total {
        chain.extend(quote!(.progress_total(#total)));
    }
    if let Some(desc) = &desc {
        chain.extend(quote!(.described(#desc)));
    }

    let worker = local("worker");
    let connects = options.connect.iter().map(|handler| {
        let method = Ident::new(handler.signal.method(), handler.key.span());
        let expr = &handler.expr;
        quote!(#worker.#method(#expr);)
    });
    let start = options.starts().then(|| {
        let error = local("error");
        quote! {
            if let ::core::result::Result::Err(#error) = #worker.start() {
                ::qworker::__private::start_failed(&#worker.name(), &#error);
            }
        }
    });

    let attrs = &func.attrs;
    let must_use = (!attrs.iter().any(|a| a.path().is_ident("must_use"))).then(|| {
        quote!(#[must_use = "a worker stops when it is dropped: keep it (`let worker = ...`), \
                             or call `.detach()` to let it run to its end on its own"])
    });
    let extra_doc = attrs.iter().any(|a| a.path().is_ident("doc")).then(|| {
        let what = if kind.is_generator() {
            "generator"
        } else {
            "function"
        };
        let started = if options.starts() {
            "and starts it"
        } else {
            "not started: call `start()` on it"
        };
        let of = match output {
            Output::Literal { .. } => String::new(),
            Output::Alias => format!(
                " (for the `Ok` and `Err` types of `{}`)",
                pretty(&declared.to_token_stream())
            ),
        };
        let line = format!(
            " *Worker function* (`#[thread_worker]`): returns a {what} worker{of} that runs \
             this body on a pool thread, {started}. Dropping the worker stops it; `detach()` \
             lets it run to its end."
        );
        quote!(#[doc = ""] #[doc = #line])
    });

    let vis = &func.vis;
    quote! {
        #(#attrs)*
        #extra_doc
        #must_use
        #vis #sig {
            #(#prelude)*
            let #worker = #chain;
            #(#connects)*
            #start
            #worker
        }
    }
}

/// Tokens as a person writes them: `Context<u32, ()>`, not `Context < u32 , () >`.
pub(crate) fn pretty(tokens: &TokenStream) -> String {
    let mut s = tokens.to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        (" :: ", "::"),
        (":: ", "::"),
        ("& ", "&"),
        ("( )", "()"),
        ("( ", "("),
        (" )", ")"),
    ] {
        s = s.replace(from, to);
    }
    s
}
