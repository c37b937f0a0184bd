//! Conversions between Rust values and `QVariant`, for the signals QML and C++ receive
//! (`yielded`, `returned`) and for values QML and C++ `send` in.
//!
//! Conversions only run when a QML or C++ receiver is connected; typed Rust callbacks get the
//! value itself. A type that should never reach QML implements [`ToVariant`] with no body.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use cxx_qt_lib::{QList, QMap, QMapPair_QString_QVariant, QString, QVariant};

use crate::NoYield;

/// A value could not be converted; the message says what was expected.
///
/// ```
/// use qworker::ConvertError;
/// let e = ConvertError::new("expected a number, got QString");
/// assert_eq!(e.to_string(), "expected a number, got QString");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError(String);

impl ConvertError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ConvertError(message.into())
    }

    /// "values of type `T` cannot be passed to QML/C++".
    pub fn unsupported<T: ?Sized>() -> Self {
        ConvertError(format!(
            "values of type `{}` cannot be passed to QML/C++ (implement qworker::ToVariant for it)",
            std::any::type_name::<T>()
        ))
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

/// A Rust value that QML and C++ receivers can get as a `QVariant`.
///
/// Implemented for numbers, `bool`, `String`, `&'static str`, `Option<T>`, `Vec<T>`, maps
/// with `String` keys and tuples. For a type that stays in Rust, write an empty impl: its
/// typed callbacks work, and a QML receiver gets a clear error instead.
///
/// ```
/// use qworker::{ConvertError, ToVariant};
/// use cxx_qt_lib::QVariant;
///
/// struct Stats { mean: f64 }
/// impl ToVariant for Stats {
///     fn to_variant(&self) -> Result<QVariant, ConvertError> {
///         self.mean.to_variant()
///     }
/// }
///
/// struct RustOnly;
/// impl ToVariant for RustOnly {} // QML receivers get a clear error
/// ```
pub trait ToVariant {
    /// The value as a `QVariant`.
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Err(ConvertError::unsupported::<Self>())
    }
}

/// A Rust value that QML and C++ can `send` in as a `QVariant`.
///
/// ```
/// use qworker::FromVariant;
/// use cxx_qt_lib::QVariant;
///
/// assert_eq!(i64::from_variant(&QVariant::from(&7i32)), Ok(7));
/// assert!(i64::from_variant(&QVariant::from(&2.5f64)).is_err());
/// assert_eq!(f64::from_variant(&QVariant::from(&7i32)), Ok(7.0));
/// ```
pub trait FromVariant: Sized {
    /// The value from a `QVariant`, or what was expected.
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError>;
}

/// The QMetaType name of a variant's value, for error messages.
pub(crate) fn describe(v: &QVariant) -> String {
    if !v.is_valid() {
        "nothing (an invalid QVariant)".to_string()
    } else {
        v.type_name().to_string()
    }
}

fn mismatch(expected: &str, v: &QVariant) -> ConvertError {
    ConvertError(format!("expected {expected}, got {}", describe(v)))
}

// ---- Rust -> QVariant ----

macro_rules! to_variant_plain {
    ($($t:ty),*) => {$(
        impl ToVariant for $t {
            fn to_variant(&self) -> Result<QVariant, ConvertError> {
                Ok(QVariant::from(self))
            }
        }
    )*};
}
to_variant_plain!(bool, i32, f64, QString);

impl ToVariant for f32 {
    /// A `double`: QML numbers are doubles.
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(QVariant::from(&(*self as f64)))
    }
}

/// An integer as QML takes it: `int` when it fits, else `double` (QML numbers are doubles;
/// a `qlonglong` would reach QML as an opaque object, not a number).
fn integer(v: i128) -> QVariant {
    match i32::try_from(v) {
        Ok(i) => QVariant::from(&i),
        Err(_) => QVariant::from(&(v as f64)),
    }
}

macro_rules! to_variant_integer {
    ($($t:ty),*) => {$(
        impl ToVariant for $t {
            /// An `int` when it fits, else a `double` (what QML can use as a number).
            fn to_variant(&self) -> Result<QVariant, ConvertError> {
                Ok(integer(*self as i128))
            }
        }
    )*};
}
to_variant_integer!(i8, i16, i64, isize, u8, u16, u32, u64, usize);

impl ToVariant for String {
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(QVariant::from(&QString::from(self.as_str())))
    }
}

impl ToVariant for &'static str {
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(QVariant::from(&QString::from(*self)))
    }
}

impl ToVariant for () {
    /// An invalid (empty) QVariant: QML sees `undefined`.
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(QVariant::default())
    }
}

/// What the driver needs of a yielded type: a conversion for QML/C++ receivers. Every
/// [`ToVariant`] type has it, and so does [`NoYield`], which on purpose is *not* `ToVariant`:
/// that keeps `|cx: &mut Context|` (a function worker) and `|cx: &mut Context<Y>|` (a
/// generator) apart for `create_worker`'s type-based dispatch.
pub(crate) trait YieldVariant {
    fn yield_variant(&self) -> Result<QVariant, ConvertError>;
}

impl<T: ToVariant> YieldVariant for T {
    fn yield_variant(&self) -> Result<QVariant, ConvertError> {
        self.to_variant()
    }
}

impl YieldVariant for NoYield {
    fn yield_variant(&self) -> Result<QVariant, ConvertError> {
        match *self {}
    }
}

impl ToVariant for QVariant {
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(self.clone())
    }
}

impl<T: ToVariant> ToVariant for Option<T> {
    /// `None` is an invalid QVariant (`undefined` in QML).
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        match self {
            Some(v) => v.to_variant(),
            None => Ok(QVariant::default()),
        }
    }
}

impl<T: ToVariant> ToVariant for Box<T> {
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        (**self).to_variant()
    }
}

fn list_of<'a, T: ToVariant + 'a>(
    items: impl Iterator<Item = &'a T>,
) -> Result<QVariant, ConvertError> {
    let mut list = QList::<QVariant>::default();
    for (i, item) in items.enumerate() {
        let v = item
            .to_variant()
            .map_err(|e| ConvertError(format!("item {i}: {e}")))?;
        list.append(v);
    }
    Ok(QVariant::from(&list))
}

impl<T: ToVariant> ToVariant for Vec<T> {
    /// A `QVariantList` (a JS array in QML).
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        list_of(self.iter())
    }
}

impl<T: ToVariant, const N: usize> ToVariant for [T; N] {
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        list_of(self.iter())
    }
}

fn map_of<'a, T: ToVariant + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<QVariant, ConvertError> {
    let mut map = QMap::<QMapPair_QString_QVariant>::default();
    for (k, v) in entries {
        let v = v
            .to_variant()
            .map_err(|e| ConvertError(format!("key {k:?}: {e}")))?;
        map.insert(QString::from(k.as_str()), v);
    }
    Ok(QVariant::from(&map))
}

impl<T: ToVariant, H> ToVariant for HashMap<String, T, H> {
    /// A `QVariantMap` (a JS object in QML).
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        map_of(self.iter())
    }
}

impl<T: ToVariant> ToVariant for BTreeMap<String, T> {
    /// A `QVariantMap` (a JS object in QML).
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        map_of(self.iter())
    }
}

macro_rules! to_variant_tuple {
    ($($name:ident : $idx:tt),+) => {
        impl<$($name: ToVariant),+> ToVariant for ($($name,)+) {
            /// A `QVariantList` with one entry per field.
            fn to_variant(&self) -> Result<QVariant, ConvertError> {
                let mut list = QList::<QVariant>::default();
                $( list.append(self.$idx.to_variant()
                    .map_err(|e| ConvertError(format!("field {}: {e}", $idx)))?); )+
                Ok(QVariant::from(&list))
            }
        }
    };
}
to_variant_tuple!(A: 0, B: 1);
to_variant_tuple!(A: 0, B: 1, C: 2);
to_variant_tuple!(A: 0, B: 1, C: 2, D: 3);

// ---- QVariant -> Rust ----

/// The QMetaType ids of the numeric types, by name (stable across Qt 6 versions).
fn numeric_kind(v: &QVariant) -> Option<NumKind> {
    match v.type_name() {
        "int" | "short" | "qlonglong" | "long" | "signed char" | "qint8" | "qint16" | "qint32"
        | "qint64" => Some(NumKind::Signed),
        "uint" | "ushort" | "qulonglong" | "ulong" | "uchar" | "quint8" | "quint16" | "quint32"
        | "quint64" => Some(NumKind::Unsigned),
        "double" | "float" => Some(NumKind::Float),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum NumKind {
    Signed,
    Unsigned,
    Float,
}

/// An integral value of any numeric variant, as i128 (floats must be whole numbers).
fn integral(v: &QVariant, expected: &str) -> Result<i128, ConvertError> {
    match numeric_kind(v) {
        Some(NumKind::Signed) => Ok(v.value_or_default::<i64>() as i128),
        Some(NumKind::Unsigned) => Ok(v.value_or_default::<u64>() as i128),
        Some(NumKind::Float) => {
            let f = v.value_or_default::<f64>();
            if f.fract() == 0.0 && f.is_finite() {
                Ok(f as i128)
            } else {
                Err(ConvertError(format!(
                    "expected {expected}, got the number {f}"
                )))
            }
        }
        None => Err(mismatch(expected, v)),
    }
}

macro_rules! from_variant_int {
    ($($t:ty),*) => {$(
        impl FromVariant for $t {
            fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
                let what = concat!("an integer (", stringify!($t), ")");
                let n = integral(v, what)?;
                <$t>::try_from(n).map_err(|_| {
                    ConvertError(format!("expected {what}, got {n}, which is out of range"))
                })
            }
        }
    )*};
}
from_variant_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl FromVariant for f64 {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        match numeric_kind(v) {
            Some(NumKind::Float) => Ok(v.value_or_default::<f64>()),
            Some(NumKind::Signed) => Ok(v.value_or_default::<i64>() as f64),
            Some(NumKind::Unsigned) => Ok(v.value_or_default::<u64>() as f64),
            None => Err(mismatch("a number", v)),
        }
    }
}

impl FromVariant for f32 {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        f64::from_variant(v).map(|f| f as f32)
    }
}

impl FromVariant for bool {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        if v.type_name() == "bool" {
            Ok(v.value_or_default::<bool>())
        } else {
            Err(mismatch("a bool", v))
        }
    }
}

impl FromVariant for QString {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        if v.type_name() == "QString" {
            Ok(v.value_or_default::<QString>())
        } else {
            Err(mismatch("a string", v))
        }
    }
}

impl FromVariant for String {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        QString::from_variant(v).map(|s| s.to_string())
    }
}

impl FromVariant for QVariant {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        Ok(v.clone())
    }
}

impl FromVariant for () {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        Err(ConvertError(format!(
            "this worker takes no input (its input type is `()`), got {}",
            describe(v)
        )))
    }
}

impl<T: FromVariant> FromVariant for Option<T> {
    /// `undefined`/`null` is `None`.
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        if !v.is_valid() || v.is_null() {
            Ok(None)
        } else {
            T::from_variant(v).map(Some)
        }
    }
}

/// The list inside a variant: a QVariantList, or a JS array QML passed (converted by Qt).
fn variant_list(v: &QVariant) -> Result<QList<QVariant>, ConvertError> {
    v.value::<QList<QVariant>>()
        .filter(|_| v.type_name() != "QString")
        .ok_or_else(|| mismatch("a list", v))
}

impl<T: FromVariant> FromVariant for Vec<T> {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        variant_list(v)?
            .iter()
            .enumerate()
            .map(|(i, item)| {
                T::from_variant(item).map_err(|e| ConvertError(format!("item {i}: {e}")))
            })
            .collect()
    }
}

impl<T: FromVariant> FromVariant for HashMap<String, T> {
    fn from_variant(v: &QVariant) -> Result<Self, ConvertError> {
        let map = v
            .value::<QMap<QMapPair_QString_QVariant>>()
            .ok_or_else(|| mismatch("a map (a JS object)", v))?;
        map.iter()
            .map(|(k, item)| {
                let key = k.to_string();
                T::from_variant(item)
                    .map(|val| (key.clone(), val))
                    .map_err(|e| ConvertError(format!("key {key:?}: {e}")))
            })
            .collect()
    }
}
