//! Derive macros of the Trellis ORM: `#[derive(Model)]` and `#[derive(Choices)]`.
//!
//! The generated code implements `trellis_orm::Model` (metadata, row decoding, values,
//! relations) and a typed field-handle struct (`PostFields`, reached with `Post::f()`).

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{
    Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitInt, LitStr, PathArguments, Token,
    Type, parse_macro_input,
};

/// Derive `trellis_orm::Model` for a struct with named fields.
///
/// Struct options, `#[model(...)]`: `app = "blog"` (required), `table = "..."`,
/// `ordering = "-created_at, title"`, `unique_together("a", "b")` (repeatable),
/// `index("a", "b")` (repeatable), `verbose_name = "..."`, `verbose_name_plural = "..."`.
///
/// Field options, `#[field(...)]`: `primary_key` (else the field `id`), `max_length = N`,
/// `max_digits = N, decimal_places = N`, `unique`, `db_index`, `default = <expr>`,
/// `auto_now`, `auto_now_add`, `column = "..."`, `verbose_name = "..."`,
/// `help_text = "..."`; for `ForeignKey<T>` / `Option<ForeignKey<T>>`:
/// `on_delete = Cascade | Protect | Restrict | SetNull | SetDefault | DoNothing`,
/// `related_name = "..."`, `one_to_one`; for `ManyToMany<T>`: `through = Model`,
/// `related_name = "..."`; for `Reverse<T>`: `reverse = "fk_field_on_T"` (required).
#[proc_macro_derive(Model, attributes(model, field))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match model(input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Derive `trellis_orm::Choices` (and `FieldType`) for an enum of unit variants, stored
/// as short strings. Variant options, `#[choice(value = "d", label = "Draft")]`; by
/// default the value is the variant's snake_case name and the label its name.
#[proc_macro_derive(Choices, attributes(choice))]
pub fn derive_choices(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match choices(input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The path of the ORM crate as the calling crate sees it: `::trellis_orm` when it depends
/// on `trellis-orm`, else `::trellis::orm` through the facade.
fn orm_path() -> TokenStream2 {
    use proc_macro_crate::{FoundCrate, crate_name};
    match crate_name("trellis-orm") {
        // Itself: the ORM's own tests and doc tests, which see it as `trellis_orm`.
        Ok(FoundCrate::Itself) => quote!(::trellis_orm),
        Ok(FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        Err(_) => match crate_name("trellis") {
            Ok(FoundCrate::Name(name)) => {
                let ident = Ident::new(&name, Span::call_site());
                quote!(::#ident::orm)
            }
            Ok(FoundCrate::Itself) => quote!(::trellis::orm),
            Err(_) => quote!(::trellis_orm),
        },
    }
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct ModelOpts {
    app: Option<String>,
    table: Option<String>,
    ordering: Vec<String>,
    unique_together: Vec<Vec<String>>,
    indexes: Vec<Vec<String>>,
    verbose_name: Option<String>,
    verbose_name_plural: Option<String>,
}

#[derive(Default)]
struct FieldOpts {
    primary_key: bool,
    max_length: Option<u32>,
    max_digits: Option<u32>,
    decimal_places: Option<u32>,
    unique: bool,
    db_index: bool,
    default: Option<Expr>,
    auto_now: bool,
    auto_now_add: bool,
    column: Option<String>,
    verbose_name: Option<String>,
    help_text: Option<String>,
    on_delete: Option<Ident>,
    related_name: Option<String>,
    one_to_one: bool,
    through: Option<Type>,
    reverse: Option<String>,
}

fn str_list(input: syn::parse::ParseStream) -> syn::Result<Vec<String>> {
    let content;
    syn::parenthesized!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok(list.iter().map(LitStr::value).collect())
}

fn model_opts(input: &DeriveInput) -> syn::Result<ModelOpts> {
    let mut o = ModelOpts::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|m| {
            let key = m
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match key.as_str() {
                "app" => o.app = Some(m.value()?.parse::<LitStr>()?.value()),
                "table" => o.table = Some(m.value()?.parse::<LitStr>()?.value()),
                "ordering" => {
                    let v = m.value()?.parse::<LitStr>()?.value();
                    o.ordering = v
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect();
                }
                "unique_together" => o.unique_together.push(str_list(m.input)?),
                "index" => o.indexes.push(str_list(m.input)?),
                "verbose_name" => o.verbose_name = Some(m.value()?.parse::<LitStr>()?.value()),
                "verbose_name_plural" => {
                    o.verbose_name_plural = Some(m.value()?.parse::<LitStr>()?.value())
                }
                _ => return Err(m.error(format!("unknown model option `{key}`"))),
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn field_opts(field: &syn::Field) -> syn::Result<FieldOpts> {
    let mut o = FieldOpts::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
        attr.parse_nested_meta(|m| {
            let key = m
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let int = |m: &syn::meta::ParseNestedMeta| -> syn::Result<u32> {
                m.value()?.parse::<LitInt>()?.base10_parse()
            };
            match key.as_str() {
                "primary_key" => o.primary_key = true,
                "max_length" => o.max_length = Some(int(&m)?),
                "max_digits" => o.max_digits = Some(int(&m)?),
                "decimal_places" => o.decimal_places = Some(int(&m)?),
                "unique" => o.unique = true,
                "db_index" => o.db_index = true,
                "default" => o.default = Some(m.value()?.parse::<Expr>()?),
                "auto_now" => o.auto_now = true,
                "auto_now_add" => o.auto_now_add = true,
                "column" => o.column = Some(m.value()?.parse::<LitStr>()?.value()),
                "verbose_name" => o.verbose_name = Some(m.value()?.parse::<LitStr>()?.value()),
                "help_text" => o.help_text = Some(m.value()?.parse::<LitStr>()?.value()),
                "on_delete" => o.on_delete = Some(m.value()?.parse::<Ident>()?),
                "related_name" => o.related_name = Some(m.value()?.parse::<LitStr>()?.value()),
                "one_to_one" => o.one_to_one = true,
                "through" => o.through = Some(m.value()?.parse::<Type>()?),
                "reverse" => o.reverse = Some(m.value()?.parse::<LitStr>()?.value()),
                _ => return Err(m.error(format!("unknown field option `{key}`"))),
            }
            Ok(())
        })?;
    }
    Ok(o)
}

/// `Wrapper<Inner>` -> Some(Inner) when the last path segment is `wrapper`.
fn generic_arg<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

enum Kind {
    Column,
    Fk { target: Type, nullable: bool },
    M2m { target: Type },
    Reverse { target: Type },
}

fn classify(ty: &Type) -> Kind {
    if let Some(t) = generic_arg(ty, "ForeignKey") {
        return Kind::Fk {
            target: t.clone(),
            nullable: false,
        };
    }
    if let Some(inner) = generic_arg(ty, "Option")
        && let Some(t) = generic_arg(inner, "ForeignKey")
    {
        return Kind::Fk {
            target: t.clone(),
            nullable: true,
        };
    }
    if let Some(t) = generic_arg(ty, "ManyToMany") {
        return Kind::M2m { target: t.clone() };
    }
    if let Some(t) = generic_arg(ty, "Reverse") {
        return Kind::Reverse { target: t.clone() };
    }
    Kind::Column
}

fn is_self_type(ty: &Type, name: &Ident) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == *name || s.ident == "Self"),
        _ => false,
    }
}

fn model(input: DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let vis = &input.vis;
    let opts = model_opts(&input)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "Model can only be derived for structs",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(name, "Model needs named fields"));
    };
    let app = opts
        .app
        .clone()
        .ok_or_else(|| syn::Error::new(Span::call_site(), "#[model(app = \"...\")] is required"))?;
    let model_name = name.to_string();
    let table = opts
        .table
        .clone()
        .unwrap_or_else(|| format!("{app}_{}", model_name.to_lowercase()));
    let fields_struct = format_ident!("{}Fields", name);
    let o = orm_path();

    let mut pk: Option<(Ident, Type, String)> = None;
    let mut field_metas = Vec::new();
    let mut decode_lets = Vec::new();
    let mut field_inits = Vec::new();
    let mut related_arms = Vec::new();
    let mut values = Vec::new();
    let mut touch = Vec::new();
    let mut bind = Vec::new();
    let mut prefetch_arms = Vec::new();
    let mut m2m_metas = Vec::new();
    let mut reverse_metas = Vec::new();
    let mut handle_fields = Vec::new();
    let mut handle_inits = Vec::new();

    // First pass: the primary key.
    for f in &named.named {
        let opts = field_opts(f)?;
        let ident = f.ident.clone().expect("named");
        if opts.primary_key || (ident == "id" && pk.is_none()) {
            let column = opts.column.clone().unwrap_or_else(|| ident.to_string());
            pk = Some((ident, f.ty.clone(), column));
        }
    }
    let (pk_ident, pk_ty, pk_column) = pk.ok_or_else(|| {
        syn::Error::new_spanned(
            name,
            "a model needs an `id` field or a #[field(primary_key)]",
        )
    })?;

    for f in &named.named {
        let fo = field_opts(f)?;
        let ident = f.ident.clone().expect("named");
        let fname = ident.to_string();
        let ty = &f.ty;
        let verbose = fo
            .verbose_name
            .clone()
            .unwrap_or_else(|| fname.replace('_', " "));
        let help = fo.help_text.clone().unwrap_or_default();
        let doc = format!("`{model_name}.{fname}`");
        match classify(ty) {
            Kind::Column => {
                let is_pk = ident == pk_ident;
                let kind = if let Some(n) = fo.max_length {
                    quote!(#o::FieldKind::Char { max_length: #n })
                } else if let (Some(d), Some(p)) = (fo.max_digits, fo.decimal_places) {
                    quote!(#o::FieldKind::Decimal { max_digits: #d, decimal_places: #p })
                } else if is_pk && quote!(#ty).to_string() == "i64" {
                    quote!(#o::FieldKind::BigAuto)
                } else {
                    quote!(<#ty as #o::FieldType>::kind())
                };
                let column = fo.column.clone().unwrap_or_else(|| fname.clone());
                let (unique, db_index, auto_now, auto_now_add) =
                    (fo.unique, fo.db_index, fo.auto_now, fo.auto_now_add);
                let default = match &fo.default {
                    Some(e) => quote! {
                        f.default = Some(#o::DefaultValue::Value(#o::FieldType::to_value(&{
                            let d: #ty = ::core::convert::Into::into(#e);
                            d
                        })));
                    },
                    None if auto_now || auto_now_add => {
                        quote!(f.default = Some(#o::DefaultValue::Now);)
                    }
                    None => quote!(),
                };
                field_metas.push(quote! {{
                    let mut f = #o::FieldMeta::new(#fname, #kind);
                    f.column = ::std::string::String::from(#column);
                    f.null = <#ty as #o::FieldType>::NULLABLE;
                    f.primary_key = #is_pk;
                    f.unique = #unique;
                    f.db_index = #db_index;
                    f.auto_now = #auto_now;
                    f.auto_now_add = #auto_now_add;
                    f.choices = <#ty as #o::FieldType>::choices();
                    f.verbose_name = ::std::string::String::from(#verbose);
                    f.help_text = ::std::string::String::from(#help);
                    #default
                    f
                }});
                decode_lets.push(quote! {
                    let #ident: #ty = if deferred.contains(&#fname) {
                        <#ty as #o::FieldType>::placeholder()
                    } else {
                        let v = <#ty as #o::FieldType>::decode(row, *idx)?;
                        *idx += 1;
                        v
                    };
                });
                field_inits.push(quote!(#ident));
                values.push(quote!(#o::FieldType::to_value(&self.#ident)));
                if auto_now {
                    touch.push(quote!(self.#ident = #o::__private::now();));
                } else if auto_now_add {
                    touch.push(quote!(if creating { self.#ident = #o::__private::now(); }));
                }
                handle_fields.push(quote!(#[doc = #doc] pub #ident: #o::query::Col<R, #ty>,));
                handle_inits.push(quote!(#ident: #o::query::Col::new(&prefix, #fname),));
            }
            Kind::Fk { target, nullable } => {
                let on_delete = fo
                    .on_delete
                    .clone()
                    .unwrap_or_else(|| Ident::new("Cascade", Span::call_site()));
                let related_name = match &fo.related_name {
                    Some(r) => quote!(Some(::std::string::String::from(#r))),
                    None => quote!(None),
                };
                let one_to_one = fo.one_to_one;
                let column = fo.column.clone().unwrap_or_else(|| format!("{fname}_id"));
                let (unique, db_index) = (fo.unique, fo.db_index);
                let default = match &fo.default {
                    Some(e) => quote! {
                        f.default = Some(#o::DefaultValue::Value(#o::FieldType::to_value(&{
                            let d: <#target as #o::Model>::Pk = ::core::convert::Into::into(#e);
                            d
                        })));
                    },
                    None => quote!(),
                };
                field_metas.push(quote! {{
                    let mut f = #o::FieldMeta::new(#fname, #o::FieldKind::ForeignKey(#o::field::Relation {
                        to: ::std::format!("{}.{}", <#target as #o::Model>::APP, <#target as #o::Model>::NAME),
                        to_table: ::std::string::String::from(<#target as #o::Model>::TABLE),
                        to_column: ::std::string::String::from(<#target as #o::Model>::PK_COLUMN),
                        on_delete: #o::OnDelete::#on_delete,
                        related_name: #related_name,
                        one_to_one: #one_to_one,
                    }));
                    f.column = ::std::string::String::from(#column);
                    f.null = #nullable;
                    f.unique = #unique;
                    f.db_index = #db_index;
                    f.verbose_name = ::std::string::String::from(#verbose);
                    f.help_text = ::std::string::String::from(#help);
                    f.related = Some(#o::__private::RelatedModel(<#target as #o::Model>::meta));
                    #default
                    f
                }});
                let pk_of = quote!(<#target as #o::Model>::Pk);
                if nullable {
                    decode_lets.push(quote! {
                        let #ident: #ty = if deferred.contains(&#fname) {
                            None
                        } else {
                            let v = <Option<#pk_of> as #o::FieldType>::decode(row, *idx)?;
                            *idx += 1;
                            v.map(#o::ForeignKey::new)
                        };
                    });
                    values.push(quote!(match &self.#ident {
                        Some(fk) => #o::FieldType::to_value(fk.id()),
                        None => <#pk_of as #o::FieldType>::null_value(),
                    }));
                    related_arms.push(quote! {
                        #fname => {
                            if row.is_null(*idx) {
                                *idx += #o::__private::load_width(<#target as #o::Model>::meta(), load);
                            } else {
                                let obj = #o::__private::decode_at::<#target>(row, idx, load)?;
                                if let Some(fk) = self.#ident.as_mut() {
                                    fk.set_loaded(#o::__private::Arc::new(obj));
                                }
                            }
                            Ok(())
                        }
                    });
                    bind.push(quote!(if let Some(fk) = self.#ident.as_mut() { fk.bind(#model_name, #fname); }));
                    prefetch_arms.push(quote! {
                        #fname => ::std::boxed::Box::pin(#o::query::prefetch::forward::<Self, #target>(objs, lookup, conn, |o| o.#ident.as_mut())),
                    });
                } else {
                    decode_lets.push(quote! {
                        let #ident: #ty = if deferred.contains(&#fname) {
                            #o::ForeignKey::new(<#pk_of as #o::FieldType>::placeholder())
                        } else {
                            let v = <#pk_of as #o::FieldType>::decode(row, *idx)?;
                            *idx += 1;
                            #o::ForeignKey::new(v)
                        };
                    });
                    values.push(quote!(#o::FieldType::to_value(self.#ident.id())));
                    related_arms.push(quote! {
                        #fname => {
                            let obj = #o::__private::decode_at::<#target>(row, idx, load)?;
                            self.#ident.set_loaded(#o::__private::Arc::new(obj));
                            Ok(())
                        }
                    });
                    bind.push(quote!(self.#ident.bind(#model_name, #fname);));
                    prefetch_arms.push(quote! {
                        #fname => ::std::boxed::Box::pin(#o::query::prefetch::forward::<Self, #target>(objs, lookup, conn, |o| Some(&mut o.#ident))),
                    });
                }
                field_inits.push(quote!(#ident));
                handle_fields.push(quote!(#[doc = #doc] pub #ident: #o::query::Rel<R, #target>,));
                handle_inits.push(quote!(#ident: #o::query::Rel::new(&prefix, #fname),));
            }
            Kind::M2m { target } => {
                let related_name = match &fo.related_name {
                    Some(r) => quote!(Some(::std::string::String::from(#r))),
                    None => quote!(None),
                };
                let self_ref = is_self_type(&target, name);
                let (src, dst) = if self_ref {
                    let n = model_name.to_lowercase();
                    (format!("from_{n}_id"), format!("to_{n}_id"))
                } else {
                    (format!("{}_id", model_name.to_lowercase()), String::new())
                };
                let target_col = if self_ref {
                    quote!(::std::string::String::from(#dst))
                } else {
                    quote!(::std::format!("{}_id", <#target as #o::Model>::NAME.to_lowercase()))
                };
                let meta = match &fo.through {
                    None => quote! {
                        #o::model::ManyToManyMeta {
                            name: #fname,
                            to: ::std::format!("{}.{}", <#target as #o::Model>::APP, <#target as #o::Model>::NAME),
                            related: Some(#o::__private::RelatedModel(<#target as #o::Model>::meta)),
                            through_table: ::std::format!("{}_{}", #table, #fname),
                            through: None,
                            source_column: ::std::string::String::from(#src),
                            target_column: #target_col,
                            related_name: #related_name,
                        }
                    },
                    Some(through) => quote! {{
                        let through = <#through as #o::Model>::meta();
                        let source_label = ::std::format!("{}.{}", #app, #model_name);
                        let target_label = ::std::format!("{}.{}", <#target as #o::Model>::APP, <#target as #o::Model>::NAME);
                        let col = |label: &str| through.fields.iter()
                            .find(|f| f.relation().is_some_and(|r| r.to == label))
                            .map(|f| f.column.clone())
                            .unwrap_or_else(|| panic!("through model {} has no foreign key to {}", through.name, label));
                        #o::model::ManyToManyMeta {
                            name: #fname,
                            to: target_label.clone(),
                            related: Some(#o::__private::RelatedModel(<#target as #o::Model>::meta)),
                            through_table: through.table.clone(),
                            through: Some(through.label()),
                            source_column: col(&source_label),
                            target_column: col(&target_label),
                            related_name: #related_name,
                        }
                    }},
                };
                m2m_metas.push(meta);
                decode_lets.push(quote!(let #ident: #ty = ::core::default::Default::default();));
                field_inits.push(quote!(#ident));
                bind.push(quote! {
                    if self.has_pk() {
                        let pk = #o::FieldType::to_value(&self.#pk_ident);
                        self.#ident.bind(pk, #model_name, Self::meta().m2m(#fname).expect("declared"));
                    }
                });
                prefetch_arms.push(quote! {
                    #fname => ::std::boxed::Box::pin(#o::query::prefetch::many_to_many::<Self, #target>(objs, lookup, conn, #fname, |o| &mut o.#ident)),
                });
                handle_fields.push(quote!(#[doc = #doc] pub #ident: #o::query::Rel<R, #target>,));
                handle_inits.push(quote!(#ident: #o::query::Rel::new(&prefix, #fname),));
            }
            Kind::Reverse { target } => {
                let fk = fo.reverse.clone().ok_or_else(|| {
                    syn::Error::new_spanned(
                        &ident,
                        "Reverse<T> fields need #[field(reverse = \"fk_field_on_T\")]",
                    )
                })?;
                reverse_metas.push(quote! {
                    #o::model::ReverseMeta {
                        name: #fname,
                        related: #o::__private::RelatedModel(<#target as #o::Model>::meta),
                        field: #fk,
                    }
                });
                decode_lets.push(quote!(let #ident: #ty = ::core::default::Default::default();));
                field_inits.push(quote!(#ident));
                bind.push(quote! {
                    if self.has_pk() {
                        let pk = #o::FieldType::to_value(&self.#pk_ident);
                        self.#ident.bind(pk, #model_name, #fname, #fk);
                    }
                });
                prefetch_arms.push(quote! {
                    #fname => ::std::boxed::Box::pin(#o::query::prefetch::reverse::<Self, #target>(objs, lookup, conn, #fk, |o| &mut o.#ident)),
                });
                handle_fields.push(quote!(#[doc = #doc] pub #ident: #o::query::Rel<R, #target>,));
                handle_inits.push(quote!(#ident: #o::query::Rel::new(&prefix, #fname),));
            }
        }
    }

    let ordering = &opts.ordering;
    let unique_together = opts
        .unique_together
        .iter()
        .map(|g| quote!(::std::vec![#(::std::string::String::from(#g)),*]));
    let indexes = opts.indexes.iter().map(|g| {
        let cols: Vec<String> = g.clone();
        let idx_name = format!("{table}_{}_idx", cols.join("_"));
        quote!(#o::model::IndexMeta {
            name: ::std::string::String::from(#idx_name),
            fields: ::std::vec![#(::std::string::String::from(#cols)),*],
            unique: false,
        })
    });
    let verbose_name = opts
        .verbose_name
        .clone()
        .unwrap_or_else(|| snake(&model_name).replace('_', " "));
    let verbose_plural = opts
        .verbose_name_plural
        .clone()
        .unwrap_or_else(|| format!("{verbose_name}s"));
    let fields_doc = format!("Typed field handles of [`{model_name}`], from `{model_name}::f()`.");

    let value_indexes = 0..values.len();
    Ok(quote! {
        #[doc = #fields_doc]
        #[allow(missing_docs)]
        #vis struct #fields_struct<R> {
            #(#handle_fields)*
            #[doc(hidden)]
            pub _root: ::core::marker::PhantomData<fn() -> R>,
        }

        impl #o::Model for #name {
            const APP: &'static str = #app;
            const NAME: &'static str = #model_name;
            const TABLE: &'static str = #table;
            const PK_COLUMN: &'static str = #pk_column;
            type Pk = #pk_ty;
            type Fields<R: #o::Model> = #fields_struct<R>;

            fn meta() -> &'static #o::ModelMeta {
                static META: #o::__private::OnceLock<#o::ModelMeta> = #o::__private::OnceLock::new();
                META.get_or_init(|| {
                    #o::model::registry::register::<Self>();
                    #o::ModelMeta {
                        app_label: #app,
                        name: #model_name,
                        table: ::std::string::String::from(#table),
                        fields: ::std::vec![#(#field_metas),*],
                        many_to_many: ::std::vec![#(#m2m_metas),*],
                        reverse: ::std::vec![#(#reverse_metas),*],
                        ordering: ::std::vec![#(::std::string::String::from(#ordering)),*],
                        unique_together: ::std::vec![#(#unique_together),*],
                        indexes: ::std::vec![#(#indexes),*],
                        verbose_name: ::std::string::String::from(#verbose_name),
                        verbose_name_plural: ::std::string::String::from(#verbose_plural),
                    }
                })
            }

            fn fields_at<R: #o::Model>(prefix: ::std::vec::Vec<&'static str>) -> Self::Fields<R> {
                #fields_struct { #(#handle_inits)* _root: ::core::marker::PhantomData }
            }

            #[allow(unused_variables)]
            fn decode_own(row: &#o::Row, idx: &mut usize, deferred: &[&str]) -> #o::Result<Self> {
                #(#decode_lets)*
                Ok(Self { #(#field_inits),* })
            }

            #[allow(unused_variables)]
            fn decode_related(
                &mut self,
                name: &str,
                row: &#o::Row,
                idx: &mut usize,
                load: &#o::query::Load,
            ) -> #o::Result<()> {
                match name {
                    #(#related_arms)*
                    other => Err(#o::Error::InvalidQuery(::std::format!(
                        "{} has no foreign key {:?}", #model_name, other
                    ))),
                }
            }

            fn column_values(&self) -> ::std::vec::Vec<#o::__private::Value> {
                ::std::vec![#(#values),*]
            }

            fn column_value(&self, idx: usize) -> ::core::option::Option<#o::__private::Value> {
                match idx {
                    #(#value_indexes => ::core::option::Option::Some(#values),)*
                    _ => ::core::option::Option::None,
                }
            }

            fn pk(&self) -> &Self::Pk {
                &self.#pk_ident
            }

            fn set_pk(&mut self, pk: Self::Pk) {
                self.#pk_ident = pk;
                #o::Model::bind_relations(self);
            }

            fn has_pk(&self) -> bool {
                self.#pk_ident != <#pk_ty as #o::FieldType>::placeholder()
            }

            #[allow(unused_variables)]
            fn touch(&mut self, creating: bool) {
                #(#touch)*
            }

            fn bind_relations(&mut self) {
                #(#bind)*
            }

            #[allow(unused_variables)]
            fn prefetch<'a>(
                objs: &'a mut [Self],
                lookup: &'a #o::query::PrefetchLookup,
                conn: #o::Conn<'a>,
            ) -> #o::__private::BoxFuture<'a, #o::Result<()>> {
                match lookup.name.as_str() {
                    #(#prefetch_arms)*
                    _ => ::std::boxed::Box::pin(async move { Err(lookup.unknown::<Self>()) }),
                }
            }
        }
    })
}

fn choices(input: DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let o = orm_path();
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "Choices can only be derived for enums",
        ));
    };
    let mut all = Vec::new();
    let mut arms = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                v,
                "Choices variants must be unit variants",
            ));
        }
        let ident = &v.ident;
        let mut value = snake(&ident.to_string());
        let mut label = ident.to_string();
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("choice")) {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("value") {
                    value = m.value()?.parse::<LitStr>()?.value();
                } else if m.path.is_ident("label") {
                    label = m.value()?.parse::<LitStr>()?.value();
                } else {
                    return Err(m.error("unknown choice option (value, label)"));
                }
                Ok(())
            })?;
        }
        all.push(quote!((#name::#ident, #value, #label)));
        arms.push(quote!(#name::#ident => #value));
    }
    let first = &data
        .variants
        .first()
        .ok_or_else(|| syn::Error::new_spanned(name, "no variants"))?
        .ident;
    Ok(quote! {
        impl #o::Choices for #name {
            const ALL: &'static [(Self, &'static str, &'static str)] = &[#(#all),*];
            fn as_str(&self) -> &'static str {
                match self { #(#arms),* }
            }
        }

        impl #o::FieldType for #name {
            type Base = Self;
            fn kind() -> #o::FieldKind {
                #o::FieldKind::Char { max_length: <Self as #o::Choices>::max_length() }
            }
            fn to_value(&self) -> #o::__private::Value {
                #o::__private::Value::String(Some(::std::string::String::from(#o::Choices::as_str(self)).into()))
            }
            fn null_value() -> #o::__private::Value {
                #o::__private::Value::String(None)
            }
            fn decode(row: &#o::Row, idx: usize) -> #o::Result<Self> {
                #o::__private::choices_decode::<Self>(row, idx)
            }
            fn placeholder() -> Self {
                #name::#first
            }
            fn choices() -> ::std::vec::Vec<(::std::string::String, ::std::string::String)> {
                <Self as #o::Choices>::ALL
                    .iter()
                    .map(|(_, v, l)| (::std::string::String::from(*v), ::std::string::String::from(*l)))
                    .collect()
            }
        }
    })
}
