//! `#[handler]`: register a handler's doc comments for the routes built from it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{Expr, FnArg, ItemFn, Meta, Type};

/// Expand `#[handler]` on `item`: the function unchanged, then (if it has doc comments or
/// is deprecated) the registration of its docs under the `TypeId` of its type, and for a
/// plain `fn` also under the type `blocking(f)` makes of it.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[handler]` takes no arguments: document the handler with `///` comments",
        ));
    }
    let func: ItemFn = syn::parse2(item)?;
    let sig = &func.sig;
    if let Some(receiver) = sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            "`#[handler]` goes on free functions, not methods",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "`#[handler]` cannot document a generic function (it has no single type to look up): \
             document its routes with `.summary()` and `.description()`",
        ));
    }

    let docs: Vec<&Expr> = func
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => Some(&nv.value),
            _ => None,
        })
        .collect();
    let deprecated = func.attrs.iter().any(|a| a.path().is_ident("deprecated"));
    if docs.is_empty() && !deprecated {
        return Ok(quote!(#func));
    }

    let krate = http_crate();
    let private = quote!(#krate::handler::__private);
    let name = &sig.ident;
    let text = quote!(::core::concat!(#(#docs, "\n",)*));
    let entry = |key: TokenStream| {
        quote! {
            #private::inventory::submit! {
                #private::HandlerDoc::new(
                    {
                        fn key() -> ::core::any::TypeId { #key }
                        key
                    },
                    #text,
                    #deprecated,
                )
            }
        }
    };
    let mut entries = vec![entry(quote!(#private::key_of(&#name)))];
    if sig.asyncness.is_none()
        && let Some(args) = blocking_args(sig)
    {
        entries.push(entry(
            quote!(#private::blocking_key_of::<_, (#(#args,)*)>(&#name)),
        ));
    }
    Ok(quote! {
        #func

        #[allow(deprecated)]
        const _: () = {
            #(#entries)*
        };
    })
}

/// The argument types of a plain `fn`, the `Args` of `blocking(f)`; `None` when one of them
/// cannot be a handler argument (a reference, `impl Trait`), so `blocking` cannot take it.
fn blocking_args(sig: &syn::Signature) -> Option<Vec<&Type>> {
    sig.inputs
        .iter()
        .map(|arg| match arg {
            FnArg::Typed(pt) => match &*pt.ty {
                Type::Reference(_) | Type::ImplTrait(_) | Type::Infer(_) => None,
                ty => Some(ty),
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The path of `trellis_http` as the calling crate sees it: directly, or through the
/// `trellis` facade (which re-exports its `handler` module).
fn http_crate() -> TokenStream {
    use proc_macro_crate::{FoundCrate, crate_name};
    let named = |name: &str| {
        let ident = Ident::new(name, Span::call_site());
        quote!(::#ident)
    };
    match crate_name("trellis-http") {
        // Itself: trellis-http's own integration and doc tests, which see it by name.
        Ok(FoundCrate::Itself) => quote!(::trellis_http),
        Ok(FoundCrate::Name(name)) => named(&name),
        Err(_) => match crate_name("trellis") {
            Ok(FoundCrate::Name(name)) => named(&name),
            Ok(FoundCrate::Itself) => quote!(::trellis),
            Err(_) => quote!(::trellis_http),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    fn expanded(item: proc_macro2::TokenStream) -> String {
        expand(quote!(), item).unwrap().to_string()
    }

    fn error(attr: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
        expand(attr, item).unwrap_err().to_string()
    }

    #[test]
    fn a_documented_async_fn_is_kept_and_registered_once() {
        let out = expanded(quote! {
            /// List items.
            async fn list() -> &'static str { "" }
        });
        assert!(
            out.starts_with("# [doc = r\" List items.\"] async fn list ()"),
            "{out}"
        );
        assert_eq!(out.matches("inventory :: submit !").count(), 1, "{out}");
        assert!(out.contains("key_of (& list)"), "{out}");
        assert!(
            out.contains("concat ! (r\" List items.\" , \"\\n\" ,)"),
            "{out}"
        );
        assert!(out.contains("false"), "{out}");
    }

    #[test]
    fn a_plain_fn_is_registered_for_blocking_too() {
        let out = expanded(quote! {
            /// Fib.
            fn fib(Path(n): Path<u32>, q: Query<Q>) -> String { String::new() }
        });
        assert!(
            out.contains("blocking_key_of :: < _ , (Path < u32 > , Query < Q > ,) > (& fib)"),
            "{out}"
        );
        let none = expanded(quote! {
            /// No args.
            fn now() -> String { String::new() }
        });
        assert!(
            none.contains("blocking_key_of :: < _ , () > (& now)"),
            "{none}"
        );
    }

    #[test]
    fn deprecated_is_registered_and_an_undocumented_fn_left_alone() {
        let out = expanded(quote! {
            #[deprecated]
            async fn old() {}
        });
        assert!(out.contains("concat ! ()"), "{out}");
        assert!(out.contains("true"), "{out}");
        assert!(out.contains("# [allow (deprecated)] const _"), "{out}");
        assert_eq!(
            expanded(quote!(
                async fn plain() {}
            )),
            quote!(
                async fn plain() {}
            )
            .to_string()
        );
    }

    #[test]
    fn methods_generics_and_arguments_are_refused() {
        assert!(
            error(
                quote!(),
                quote!(
                    async fn m(&self) {}
                )
            )
            .contains("not methods"),
        );
        assert!(
            error(
                quote!(),
                quote!(
                    async fn g<T>(t: T) {}
                )
            )
            .contains("generic function"),
        );
        assert!(
            error(
                quote!(summary = "x"),
                quote!(
                    async fn f() {}
                )
            )
            .contains("no arguments")
        );
    }
}
