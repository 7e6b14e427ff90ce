//! Compiled SQL per QuerySet *shape*.
//!
//! Values are always bound parameters, so the SQL text of a QuerySet depends only on its
//! shape: the model, the backend, the lookups' paths and operators (not their values),
//! the ordering, `select_related`, `only`/`defer`, `distinct` and whether it is sliced.
//! Building that text with sea-query costs far more than running a one-row query's
//! client side (~9k instructions), so it is built once per shape and kept here with the
//! decoding plan; later QuerySets of the same shape only collect their values.
//!
//! [`Shape`] walks a QuerySet and writes both at once: the key (everything the SQL text
//! depends on, values reduced to what the compiler branches on: NULL or not, string or
//! bool, list lengths) and the values in the order the statement binds them. The value
//! derivations (LIKE patterns, lower-casing) are the compiler's own functions. A shape is
//! cached only after its first build produced exactly the values the walk collected, so a
//! statement whose values the walk would misplace is never served from here.

use std::any::TypeId;
use std::sync::{Arc, LazyLock, RwLock};

use sea_query::Value;

use crate::backend::Backend;
use crate::error::Result;
use crate::model::Model;
use crate::query::compiler::{Load, iexact_value, is_null_value, like_pattern, like_value};
use crate::query::{F, KeyColumn, Lookup, Op, Operand, Q, QuerySet};

/// A statement ready to run: its SQL and how to decode its rows.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// The SQL text (shared with the drivers' prepared-statement caches).
    pub(crate) sql: Arc<str>,
    /// Deferred fields and `select_related` subtrees, in row order.
    pub(crate) load: Load,
    /// The column holding the prefetch key, for keyed queries.
    pub(crate) key_index: usize,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    model: TypeId,
    shape: Bytes,
}

/// Bytes kept inline up to this many (the shapes of common QuerySets), else on the heap.
const INLINE: usize = 62;

/// A shape's bytes: no allocation for a short one (most are), as a key is written for
/// every query.
#[derive(Clone)]
enum Bytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl Bytes {
    fn new() -> Bytes {
        Bytes::Inline {
            len: 0,
            buf: [0; INLINE],
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes::Heap(v) => v,
        }
    }

    /// Append one byte (most of a key is written byte by byte: no copy call).
    #[inline]
    fn push(&mut self, b: u8) {
        if let Bytes::Inline { len, buf } = self
            && let Some(slot) = buf.get_mut(usize::from(*len))
        {
            *slot = b;
            *len += 1;
        } else {
            self.extend(&[b]);
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        match self {
            Bytes::Inline { len, buf } => {
                let at = usize::from(*len);
                match buf.get_mut(at..at + bytes.len()) {
                    Some(room) => {
                        room.copy_from_slice(bytes);
                        // At most INLINE (< 256): `room` was inside `buf`.
                        *len = (at + bytes.len()) as u8;
                    }
                    None => {
                        let mut v = Vec::with_capacity(2 * INLINE + bytes.len());
                        v.extend_from_slice(&buf[..at]);
                        v.extend_from_slice(bytes);
                        *self = Bytes::Heap(v);
                    }
                }
            }
            Bytes::Heap(v) => v.extend_from_slice(bytes),
        }
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl std::hash::Hash for Bytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

/// Shapes kept at most; the cache is emptied when full (a program has a bounded set of
/// query shapes, but `in` lists of every length are shapes of their own).
const MAX_SHAPES: usize = 2048;

static SHAPES: LazyLock<RwLock<foldhash::HashMap<Key, Arc<Compiled>>>> =
    LazyLock::new(|| RwLock::new(foldhash::HashMap::default()));

/// A QuerySet's cache key and the values it binds, in statement order.
pub(crate) struct Shape {
    key: Key,
    pub(crate) values: Vec<Value>,
}

const NULL: u8 = 0;
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const STRING: u8 = 3;
const CHAR: u8 = 4;
const OTHER: u8 = 5;

impl Shape {
    /// The shape of `qs` on `backend`, with the prefetch key column if any.
    pub(crate) fn of<M: Model>(
        qs: &QuerySet<M>,
        backend: Backend,
        key: Option<&KeyColumn>,
    ) -> Shape {
        Shape::of_limited(qs, backend, key, qs.limit)
    }

    /// [`of`](Self::of) with `limit` in place of the QuerySet's own.
    fn of_limited<M: Model>(
        qs: &QuerySet<M>,
        backend: Backend,
        key: Option<&KeyColumn>,
        limit: Option<u64>,
    ) -> Shape {
        let mut s = Shape {
            key: Key {
                model: TypeId::of::<M>(),
                shape: Bytes::new(),
            },
            // A value per filter usually, and the limit.
            values: Vec::with_capacity(qs.filters.len() + 1),
        };
        s.byte(backend as u8);
        match key {
            None => s.byte(0),
            Some(KeyColumn::Own(column)) => {
                s.byte(1);
                s.str(column);
            }
            Some(KeyColumn::Through {
                table,
                source,
                target,
            }) => {
                s.byte(2);
                s.str(table);
                s.str(source);
                s.str(target);
            }
        }
        s.len(qs.filters.len());
        for q in &qs.filters {
            s.q(q, backend);
        }
        match &qs.order {
            None => s.byte(0),
            Some(order) => {
                s.byte(1);
                s.strs(order);
            }
        }
        s.byte(u8::from(qs.distinct));
        s.strs(&qs.related);
        match &qs.only {
            None => s.byte(0),
            Some(only) => {
                s.byte(1);
                s.strs(only);
            }
        }
        s.strs(&qs.defer);
        // LIMIT and OFFSET are bound values too (see `QuerySet::apply_slice`).
        s.byte(u8::from(limit.is_some()) | (u8::from(qs.offset.is_some()) << 1));
        if let Some(l) = limit {
            s.values.push(Value::BigUnsigned(Some(l)));
        }
        if let Some(o) = qs.offset {
            if limit.is_none() {
                s.values.push(Value::BigUnsigned(Some(i64::MAX as u64)));
            }
            s.values.push(Value::BigUnsigned(Some(o)));
        }
        s
    }

    /// The compiled statement of this shape, if one was cached.
    pub(crate) fn cached(&self) -> Option<Arc<Compiled>> {
        SHAPES.read().ok()?.get(&self.key).cloned()
    }

    /// Keep `compiled` for this shape if its first build bound exactly the values this
    /// walk collected (else the walk does not know the statement: it is never cached).
    pub(crate) fn remember(self, compiled: &Arc<Compiled>, built: &[Value]) {
        if built != self.values.as_slice() {
            return;
        }
        if let Ok(mut map) = SHAPES.write() {
            if map.len() >= MAX_SHAPES {
                map.clear();
            }
            map.insert(self.key, compiled.clone());
        }
    }

    /// Whether a statement of this shape is cached (for tests).
    pub(crate) fn is_cached(&self) -> bool {
        self.cached().is_some()
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.key.shape.push(b);
    }

    /// A length or count: one byte below 255 (all but huge `in` lists), else 255 and
    /// four bytes.
    #[inline]
    fn len(&mut self, n: usize) {
        match u8::try_from(n) {
            Ok(b) if b < u8::MAX => self.key.shape.push(b),
            _ => {
                self.key.shape.push(u8::MAX);
                self.key.shape.extend(&(n as u32).to_le_bytes());
            }
        }
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.key.shape.extend(s.as_bytes());
    }

    #[inline]
    fn strs(&mut self, items: &[String]) {
        self.len(items.len());
        for s in items {
            self.str(s);
        }
    }

    /// What the compiler branches on for a value (NULL, a bool's truth, text or not).
    fn kind(&mut self, v: &Value) {
        let k = if is_null_value(v) {
            NULL
        } else {
            match v {
                Value::Bool(Some(true)) => TRUE,
                Value::Bool(Some(false)) => FALSE,
                Value::String(_) => STRING,
                Value::Char(_) => CHAR,
                _ => OTHER,
            }
        };
        self.byte(k);
    }

    /// A value bound as is.
    fn value(&mut self, v: &Value) {
        self.kind(v);
        self.values.push(v.clone());
    }

    fn q(&mut self, q: &Q, backend: Backend) {
        match q {
            Q::Lookup(lookup) => {
                self.byte(1);
                self.lookup(lookup, backend);
            }
            Q::And(items) | Q::Or(items) => {
                self.byte(if matches!(q, Q::And(_)) { 2 } else { 3 });
                self.len(items.len());
                for item in items {
                    self.q(item, backend);
                }
            }
            Q::Not(inner) => {
                self.byte(4);
                self.q(inner, backend);
            }
            Q::Pk(v) => {
                self.byte(5);
                self.value(v);
            }
            Q::InJoinTable {
                table,
                source,
                target,
                owner,
            } => {
                self.byte(6);
                self.str(table);
                self.str(source);
                self.str(target);
                self.value(owner);
            }
            Q::InThrough { source, owners } => {
                self.byte(7);
                self.str(source);
                self.len(owners.len());
                self.values.extend(owners.iter().cloned());
            }
        }
    }

    /// A lookup: its path, operator and operand shape; its values as `Compiler::lookup`
    /// binds them. A lookup the compiler refuses gets a key all the same: it fails to
    /// compile, so it is never cached.
    fn lookup(&mut self, lookup: &Lookup, backend: Backend) {
        self.strs(&lookup.path);
        self.byte(lookup.op as u8);
        match &lookup.operand {
            Operand::Value(v) => {
                self.byte(1);
                self.kind(v);
                match lookup.op {
                    Op::Exact if is_null_value(v) => {}
                    Op::IsNull => {}
                    Op::IExact => match iexact_value(v) {
                        Ok(s) => self.values.push(Value::from(s)),
                        Err(_) => self.byte(NULL),
                    },
                    Op::Contains
                    | Op::IContains
                    | Op::StartsWith
                    | Op::IStartsWith
                    | Op::EndsWith
                    | Op::IEndsWith => {
                        match like_pattern(lookup.op, v) {
                            Ok((pattern, insensitive)) => self
                                .values
                                .push(Value::from(like_value(backend, &pattern, insensitive))),
                            Err(_) => self.byte(NULL),
                        }
                    }
                    _ => self.values.push(v.clone()),
                }
            }
            Operand::List(values) => {
                self.byte(2);
                self.len(values.len());
                self.values.extend(values.iter().cloned());
            }
            Operand::Pair(a, b) => {
                self.byte(3);
                self.value(a);
                self.value(b);
            }
            Operand::F(f) => {
                self.byte(4);
                self.f(f);
            }
        }
    }

    fn f(&mut self, f: &F) {
        match f {
            F::Col(name) => {
                self.byte(1);
                self.str(name);
            }
            F::Value(v) => {
                self.byte(2);
                self.value(v);
            }
            F::Add(a, b) | F::Sub(a, b) | F::Mul(a, b) | F::Div(a, b) => {
                self.byte(match f {
                    F::Add(..) => 3,
                    F::Sub(..) => 4,
                    F::Mul(..) => 5,
                    _ => 6,
                });
                self.f(a);
                self.f(b);
            }
        }
    }
}

/// The statement for `qs` (cached or built now) and the values to bind.
pub(crate) fn compiled<M: Model>(
    qs: &QuerySet<M>,
    backend: Backend,
    key: Option<&KeyColumn>,
) -> Result<(Arc<Compiled>, sea_query::Values)> {
    compiled_limited(qs, backend, key, qs.limit)
}

/// [`compiled`] with `limit` in place of the QuerySet's own (`get()` reads at most 21
/// rows): no copy of the QuerySet unless the statement has to be built.
pub(crate) fn compiled_limited<M: Model>(
    qs: &QuerySet<M>,
    backend: Backend,
    key: Option<&KeyColumn>,
    limit: Option<u64>,
) -> Result<(Arc<Compiled>, sea_query::Values)> {
    let shape = Shape::of_limited(qs, backend, key, limit);
    if let Some(compiled) = shape.cached() {
        return Ok((compiled, sea_query::Values(shape.values)));
    }
    let (compiled, values) = if limit == qs.limit {
        qs.build(backend, key)?
    } else {
        let mut limited = qs.clone();
        limited.limit = limit;
        limited.build(backend, key)?
    };
    let compiled = Arc::new(compiled);
    shape.remember(&compiled, &values.0);
    Ok((compiled, values))
}

#[cfg(test)]
mod tests {
    use super::{Bytes, INLINE};
    use std::hash::BuildHasher;

    #[test]
    fn key_bytes_spill_to_the_heap_unchanged() {
        let mut short = Bytes::new();
        let mut long = Bytes::new();
        let mut want = Vec::new();
        for i in 0..(3 * INLINE) as u32 {
            let chunk = i.to_le_bytes();
            want.extend_from_slice(&chunk[..1 + (i as usize % 4)]);
            if i % 3 == 0 {
                chunk[..1 + (i as usize % 4)]
                    .iter()
                    .for_each(|&b| long.push(b));
            } else {
                long.extend(&chunk[..1 + (i as usize % 4)]);
            }
        }
        assert_eq!(long.as_slice(), want.as_slice());
        assert!(matches!(long, Bytes::Heap(_)));
        short.extend(&want[..INLINE]);
        assert!(matches!(short, Bytes::Inline { .. }));
        assert_eq!(short.as_slice(), &want[..INLINE]);
        // Equal bytes are equal keys, inline or not.
        let heap = Bytes::Heap(want[..INLINE].to_vec());
        assert!(short == heap);
        let s = foldhash::fast::FixedState::with_seed(7);
        assert_eq!(s.hash_one(&short), s.hash_one(&heap));
        assert!(short != long);
    }
}
