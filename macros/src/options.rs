//! The attribute's options: `connect(..)`, `start_thread`, `policy`, `progress(..)`, `name`.

use proc_macro2::Span;
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, ExprCall, ExprPath, Ident, Lit, LitBool, Token};

/// The options, as written.
#[derive(Default)]
pub(crate) struct Options {
    /// `connect(signal = handler, ...)`, in order; one entry per handler.
    pub connect: Vec<Handler>,
    /// Where the first `connect` was written (a `connect` starts the worker).
    pub connect_span: Option<Span>,
    pub start_thread: Option<LitBool>,
    /// The `Policy` expression to pass to `.policy(..)`, and where `policy` was written.
    pub policy: Option<(Expr, Span)>,
    /// `progress(total = ..)`, and where `total` was written.
    pub total: Option<(Expr, Span)>,
    /// `progress(desc = ..)`.
    pub desc: Option<Expr>,
    pub name: Option<Expr>,
}

/// One handler connected to one signal.
pub(crate) struct Handler {
    pub signal: Signal,
    /// The key as written (for spans and messages).
    pub key: Ident,
    pub expr: Expr,
}

/// The signals a handler can be connected to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Signal {
    Started,
    Yielded,
    Returned,
    Errored,
    Warned,
    Progress,
    Aborted,
    Paused,
    Resumed,
    Finished,
}

pub(crate) const SIGNALS: &str = "`started`, `yielded`, `returned`, `errored`, `warned`, \
     `progress`, `aborted`, `paused`, `resumed`, `finished`";

pub(crate) const OPTIONS: &str = "`connect(returned = f, ..)`, `start_thread = true`, \
     `policy = Latest`, `progress(total = n, desc = \"..\")`, `name = \"..\"`";

impl Signal {
    fn from_ident(ident: &Ident) -> Option<Signal> {
        Some(match ident.to_string().as_str() {
            "started" => Signal::Started,
            "yielded" => Signal::Yielded,
            "returned" => Signal::Returned,
            "errored" => Signal::Errored,
            "warned" => Signal::Warned,
            "progress" => Signal::Progress,
            "aborted" => Signal::Aborted,
            "paused" => Signal::Paused,
            "resumed" => Signal::Resumed,
            "finished" => Signal::Finished,
            _ => return None,
        })
    }

    /// The callback method of the worker that connects a handler to this signal.
    pub fn method(self) -> &'static str {
        match self {
            Signal::Started => "on_started",
            Signal::Yielded => "on_yielded",
            Signal::Returned => "on_returned",
            Signal::Errored => "on_errored",
            Signal::Warned => "on_warned",
            Signal::Progress => "on_progress",
            Signal::Aborted => "on_aborted",
            Signal::Paused => "on_paused",
            Signal::Resumed => "on_resumed",
            Signal::Finished => "on_finished",
        }
    }

    /// Only generator workers have these signals.
    pub fn generator_only(self) -> bool {
        matches!(self, Signal::Yielded | Signal::Paused | Signal::Resumed)
    }
}

/// The single identifier of an option's path, or an error naming the known options.
fn option_key(meta: &ParseNestedMeta<'_>, what: &str, known: &str) -> syn::Result<Ident> {
    match meta.path.get_ident() {
        Some(ident) => Ok(ident.clone()),
        None => {
            let path = &meta.path;
            Err(meta.error(format!(
                "unknown {what} `{}`; the {what}s are: {known}",
                crate::expand::pretty(&quote!(#path))
            )))
        }
    }
}

impl Options {
    /// Parses the attribute's arguments (what is between the parentheses).
    pub fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Options> {
        let mut options = Options::default();
        let parser = syn::meta::parser(|meta| options.option(meta));
        parser.parse2(tokens)?;
        Ok(options)
    }

    fn option(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = option_key(&meta, "option", OPTIONS)?;
        match key.to_string().as_str() {
            "connect" => {
                if meta.input.peek(Token![=]) {
                    return Err(meta.error(
                        "write the handlers in parentheses: \
                         `connect(returned = f, yielded = [g, h])`",
                    ));
                }
                self.connect_span.get_or_insert(key.span());
                let content;
                syn::parenthesized!(content in meta.input);
                let handlers: proc_macro2::TokenStream = content.parse()?;
                // `connect()` is allowed (it starts the worker, as in napari).
                syn::meta::parser(|inner| self.handler(inner))
                    .parse2(handlers)
                    .map_err(|e| with_hint(e, "connect(returned = f, yielded = [g, h])"))
            }
            "start_thread" => {
                let value: Lit = meta.value()?.parse()?;
                let Lit::Bool(b) = value else {
                    return Err(syn::Error::new(
                        value.span(),
                        "`start_thread` takes `true` or `false`",
                    ));
                };
                once(&self.start_thread, &key)?;
                self.start_thread = Some(b);
                Ok(())
            }
            "policy" => {
                let value: Expr = meta.value()?.parse()?;
                once(&self.policy, &key)?;
                self.policy = Some((policy(value)?, key.span()));
                Ok(())
            }
            "progress" => {
                if meta.input.peek(Token![=]) {
                    return Err(meta.error(
                        "write `progress(total = n, desc = \"..\")`: `total` is the number of \
                         yields (each yield counts one), `desc` a description",
                    ));
                }
                meta.parse_nested_meta(|inner| {
                    let inner_key = option_key(&inner, "progress option", "`total`, `desc`")?;
                    match inner_key.to_string().as_str() {
                        "total" => {
                            let value: Expr = inner.value()?.parse()?;
                            once(&self.total, &inner_key)?;
                            self.total = Some((value, inner_key.span()));
                            Ok(())
                        }
                        "desc" => {
                            let value: Expr = inner.value()?.parse()?;
                            once(&self.desc, &inner_key)?;
                            self.desc = Some(value);
                            Ok(())
                        }
                        _ => Err(inner.error(format!(
                            "unknown progress option `{inner_key}`; the progress options are: \
                             `total`, `desc`"
                        ))),
                    }
                })
            }
            "name" => {
                let value: Expr = meta.value()?.parse()?;
                once(&self.name, &key)?;
                self.name = Some(value);
                Ok(())
            }
            "ignore_errors" => Err(meta.error(
                "`ignore_errors` has no meaning in qworker: errors are never re-raised; an error \
                 with no `errored` handler is logged through Qt's message handler. Remove it, \
                 or connect a handler: `connect(errored = f)`",
            )),
            "worker_class" => Err(meta.error(
                "`worker_class` has no meaning in qworker: the kind of worker follows the \
                 signature (a last parameter `cx: &mut Context<Y>` makes a generator worker). \
                 For a worker type of your own, implement `qworker::Work` and use \
                 `qworker::from_work`",
            )),
            _ => Err(meta.error(format!(
                "unknown option `{key}`; the options are: {OPTIONS}"
            ))),
        }
    }

    fn handler(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = option_key(&meta, "signal", SIGNALS)?;
        let Some(signal) = Signal::from_ident(&key) else {
            return Err(meta.error(format!(
                "unknown signal `{key}`; the signals are: {SIGNALS}"
            )));
        };
        let value: Expr = meta.value()?.parse()?;
        match value {
            // `returned = [f, g]`: several handlers.
            Expr::Array(ExprArray { elems, .. }) => {
                for expr in elems {
                    self.connect.push(Handler {
                        signal,
                        key: key.clone(),
                        expr,
                    });
                }
            }
            expr => self.connect.push(Handler { signal, key, expr }),
        }
        Ok(())
    }

    /// Whether the generated function starts the worker: `start_thread` if given, else
    /// whether a `connect` was given (napari's rule).
    pub fn starts(&self) -> bool {
        match &self.start_thread {
            Some(b) => b.value,
            None => self.connect_span.is_some(),
        }
    }
}

/// Adds the expected syntax to a parse error inside `connect(..)`, unless it already says
/// what to write.
fn with_hint(error: syn::Error, syntax: &str) -> syn::Error {
    let message = error.to_string();
    if message.contains("unknown") || message.contains("write") {
        error
    } else {
        syn::Error::new(error.span(), format!("{message}; write `{syntax}`"))
    }
}

fn once<T>(slot: &Option<T>, key: &Ident) -> syn::Result<()> {
    match slot {
        Some(_) => Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice; give it once"),
        )),
        None => Ok(()),
    }
}

/// `CamelCase`, like a variant's name (not `UPPER_CASE`, like a constant's).
fn variant_like(ident: &Ident) -> bool {
    let s = ident.to_string();
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().any(|c| c.is_ascii_lowercase())
}

/// `Latest`, `All` and `Bounded(n)` name `qworker::Policy`'s variants; another variant-like
/// name is a mistake; a longer path or any other expression (a constant, an argument, a call)
/// is used as it is (it must be a `qworker::Policy`).
fn policy(value: Expr) -> syn::Result<Expr> {
    const HINT: &str = "write `policy = All`, `policy = Latest` or `policy = Bounded(n)`";
    match &value {
        Expr::Path(ExprPath {
            path, qself: None, ..
        }) if path.segments.len() == 1 => {
            let ident = &path.segments[0].ident;
            match ident.to_string().as_str() {
                "All" | "Latest" => Ok(syn::parse_quote_spanned!(ident.span()=>
                    ::qworker::Policy::#ident
                )),
                "Bounded" => Err(syn::Error::new(
                    ident.span(),
                    "`Bounded` takes the number of undelivered values: `policy = Bounded(n)`",
                )),
                _ if variant_like(ident) => Err(syn::Error::new(
                    ident.span(),
                    format!("unknown policy `{ident}`; {HINT}"),
                )),
                _ => Ok(value),
            }
        }
        Expr::Call(ExprCall { func, args, .. }) => match &**func {
            Expr::Path(ExprPath {
                path, qself: None, ..
            }) if path.segments.len() == 1 && path.segments[0].ident == "Bounded" => {
                let ident = &path.segments[0].ident;
                if args.len() != 1 {
                    return Err(syn::Error::new(
                        args.span(),
                        "`Bounded` takes one number, the most undelivered values: \
                         `policy = Bounded(n)`",
                    ));
                }
                let n = &args[0];
                Ok(syn::parse_quote_spanned!(ident.span()=> ::qworker::Policy::#ident(#n)))
            }
            Expr::Path(ExprPath {
                path, qself: None, ..
            }) if path.segments.len() == 1 && variant_like(&path.segments[0].ident) => {
                Err(syn::Error::new(
                    path.segments[0].ident.span(),
                    format!("unknown policy `{}`; {HINT}", path.segments[0].ident),
                ))
            }
            _ => Ok(value),
        },
        Expr::Lit(_) => Err(syn::Error::new(
            value.span(),
            format!("{HINT} (not a literal)"),
        )),
        _ => Ok(value),
    }
}
