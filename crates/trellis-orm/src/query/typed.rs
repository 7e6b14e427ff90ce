//! Typed field handles: `Post::f().title.icontains("rust")` builds the same [`Q`] as
//! `Q::lookup("title__icontains", "rust")`, but the field name and the value's type are
//! checked by the compiler.

use std::marker::PhantomData;

use crate::field::FieldType;
use crate::model::Model;
use crate::query::q::{F, Lookup, Op, Operand, Q};

/// A typed handle to field of type `T`, reached from model `R` (through relations).
pub struct Col<R, T> {
    path: Vec<&'static str>,
    _p: PhantomData<fn() -> (R, T)>,
}

impl<R, T> Clone for Col<R, T> {
    fn clone(&self) -> Self {
        Col {
            path: self.path.clone(),
            _p: PhantomData,
        }
    }
}

impl<R, T> std::fmt::Debug for Col<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path.join("__"))
    }
}

impl<R: Model, T: FieldType> Col<R, T> {
    #[doc(hidden)]
    pub fn new(prefix: &[&'static str], name: &'static str) -> Self {
        let mut path = prefix.to_vec();
        path.push(name);
        Col {
            path,
            _p: PhantomData,
        }
    }

    /// The lookup path (`author__name`), as `order_by` and `values` take it.
    pub fn name(&self) -> String {
        self.path.join("__")
    }

    /// Ascending order by this field.
    pub fn asc(&self) -> String {
        self.name()
    }

    /// Descending order by this field.
    pub fn desc(&self) -> String {
        format!("-{}", self.name())
    }

    /// This field as an [`F`] expression.
    pub fn f(&self) -> F {
        F::Col(self.name())
    }

    fn q(&self, op: Op, operand: Operand) -> Q {
        Q::Lookup(Lookup {
            path: self.path.iter().map(|s| s.to_string()).collect(),
            op,
            operand,
        })
    }

    fn one(&self, op: Op, v: impl Into<T::Base>) -> Q {
        self.q(op, Operand::Value(v.into().to_value()))
    }

    /// `= v`.
    pub fn eq(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Exact, v)
    }
    /// `<> v` (`NOT (= v)`).
    pub fn ne(&self, v: impl Into<T::Base>) -> Q {
        !self.one(Op::Exact, v)
    }
    /// Case-insensitive equality.
    pub fn iexact(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::IExact, v)
    }
    /// Contains the substring (case-sensitive).
    pub fn contains(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Contains, v)
    }
    /// Contains the substring (case-insensitive).
    pub fn icontains(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::IContains, v)
    }
    /// Starts with (case-sensitive).
    pub fn startswith(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::StartsWith, v)
    }
    /// Starts with (case-insensitive).
    pub fn istartswith(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::IStartsWith, v)
    }
    /// Ends with (case-sensitive).
    pub fn endswith(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::EndsWith, v)
    }
    /// Ends with (case-insensitive).
    pub fn iendswith(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::IEndsWith, v)
    }
    /// `> v`.
    pub fn gt(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Gt, v)
    }
    /// `>= v`.
    pub fn gte(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Gte, v)
    }
    /// `< v`.
    pub fn lt(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Lt, v)
    }
    /// `<= v`.
    pub fn lte(&self, v: impl Into<T::Base>) -> Q {
        self.one(Op::Lte, v)
    }
    /// One of `values`.
    pub fn is_in<V: Into<T::Base>>(&self, values: impl IntoIterator<Item = V>) -> Q {
        let list = values.into_iter().map(|v| v.into().to_value()).collect();
        self.q(Op::In, Operand::List(list))
    }
    /// Between `low` and `high`, inclusive.
    pub fn range(&self, low: impl Into<T::Base>, high: impl Into<T::Base>) -> Q {
        self.q(
            Op::Range,
            Operand::Pair(low.into().to_value(), high.into().to_value()),
        )
    }
    /// `IS NULL` (`true`) or `IS NOT NULL` (`false`).
    pub fn is_null(&self, yes: bool) -> Q {
        self.q(Op::IsNull, Operand::Value(yes.into()))
    }
    /// Compare with another column or expression: `Col::cmp_f(Op::Lt, F::col("reserved"))`.
    pub fn cmp_f(&self, op: Op, f: F) -> Q {
        self.q(op, Operand::F(f))
    }
}

/// A typed handle to a relation from `R` to model `T` (a foreign key or a to-many relation).
pub struct Rel<R, T> {
    path: Vec<&'static str>,
    _p: PhantomData<fn() -> (R, T)>,
}

impl<R, T> Clone for Rel<R, T> {
    fn clone(&self) -> Self {
        Rel {
            path: self.path.clone(),
            _p: PhantomData,
        }
    }
}

impl<R: Model, T: Model> Rel<R, T> {
    #[doc(hidden)]
    pub fn new(prefix: &[&'static str], name: &'static str) -> Self {
        let mut path = prefix.to_vec();
        path.push(name);
        Rel {
            path,
            _p: PhantomData,
        }
    }

    /// The relation's path (`author`, `post__author`), as `select_related` takes it.
    pub fn name(&self) -> String {
        self.path.join("__")
    }

    /// The related model's fields, reached through this relation:
    /// `Post::f().author.f().name.eq("ann")`.
    pub fn f(&self) -> T::Fields<R> {
        T::fields_at(self.path.clone())
    }

    /// Related to the object with primary key `pk`.
    pub fn eq_pk(&self, pk: T::Pk) -> Q {
        Q::Lookup(Lookup {
            path: self.path.iter().map(|s| s.to_string()).collect(),
            op: Op::Exact,
            operand: Operand::Value(pk.to_value()),
        })
    }

    /// Related to `obj`.
    pub fn eq(&self, obj: &T) -> Q {
        self.eq_pk(obj.pk().clone())
    }

    /// No related object (`IS NULL` for a nullable foreign key).
    pub fn is_null(&self, yes: bool) -> Q {
        Q::Lookup(Lookup {
            path: self.path.iter().map(|s| s.to_string()).collect(),
            op: Op::IsNull,
            operand: Operand::Value(yes.into()),
        })
    }
}
