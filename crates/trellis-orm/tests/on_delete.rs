//! `on_delete`: CASCADE, PROTECT, SET_NULL, SET_DEFAULT, RESTRICT, and join rows.

mod common;

use common::*;
use trellis_orm::prelude::*;
use trellis_orm::{Error, raw_rows};

async fn join_rows(db: &Db) -> trellis_orm::Result<i64> {
    let rows = raw_rows(db, "SELECT COUNT(*) FROM blog_post_tags", []).await?;
    Ok(rows[0].json(0).as_i64().unwrap())
}

#[tokio::test]
async fn cascade_deletes_dependents() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let mut c = comment(&b.posts[1], &b.ann, "by ann on bob's post");
        c.save(&db).await?;
        let mut c2 = comment(&b.posts[0], &b.bob, "by bob on ann's post");
        c2.save(&db).await?;
        let mut reply = comment(&b.posts[1], &b.bob, "reply to ann");
        reply.parent = Some(ForeignKey::from(&c));
        reply.save(&db).await?;
        assert_eq!(b.ann.delete(&db).await?, 1);
        assert_eq!(Author::objects().count(&db).await?, 2);
        // Ann's posts went, with their comments; Ann's comment elsewhere went, with its reply.
        assert_eq!(
            titles(&Post::objects().all(&db).await?),
            ["Django tips", "Web Rust"]
        );
        assert_eq!(Comment::objects().count(&db).await?, 0);
        // Join rows of deleted posts are gone; Web Rust keeps its two tags.
        assert_eq!(join_rows(&db).await?, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn protect_refuses_and_deletes_nothing() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let mut s = Sponsor {
            id: 0,
            name: "ACME".into(),
            author: ForeignKey::from(&b.ann),
        };
        s.save(&db).await?;
        let err = b.ann.delete(&db).await.unwrap_err();
        match &err {
            Error::Protected { model, field } => {
                assert_eq!(*model, "Author");
                assert_eq!(field, "Sponsor.author");
            }
            other => panic!("expected Protected, got {other}"),
        }
        assert_eq!(Author::objects().count(&db).await?, 3);
        assert_eq!(Post::objects().count(&db).await?, 5, "cascades rolled back");
        assert_eq!(join_rows(&db).await?, 5);
        // Through a QuerySet too; unprotected authors in the same QuerySet stay as well.
        let err = Author::objects().delete(&db).await.unwrap_err();
        assert!(matches!(err, Error::Protected { .. }), "{err}");
        assert_eq!(Author::objects().count(&db).await?, 3);
        // Once the sponsor is gone, the delete goes through.
        s.delete(&db).await?;
        assert_eq!(
            Author::objects()
                .filter(Author::f().name.eq("Ann"))
                .delete(&db)
                .await?,
            1
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn set_null_and_set_default() {
    each_backend(|db| async move {
        // The first author (id 1) is the SET_DEFAULT target.
        let mut fallback = author("Fallback");
        fallback.save(&db).await?;
        assert_eq!(fallback.id, 1);
        let b = blog(&db).await?;
        let mut p = Post::get_by_pk(&db, b.posts[0].id).await?;
        p.editor = Some(ForeignKey::from(&b.bob));
        p.save(&db).await?;
        let mut n = Note {
            id: 0,
            text: "n".into(),
            owner: ForeignKey::from(&b.bob),
        };
        n.save(&db).await?;
        b.bob.delete(&db).await?;
        let p = Post::get_by_pk(&db, p.id).await?;
        assert!(p.editor.is_none(), "SET_NULL");
        assert_eq!(p.author.id(), &b.ann.id, "the post itself stays");
        let n = Note::get_by_pk(&db, n.id).await?;
        assert_eq!(*n.owner.id(), 1, "SET_DEFAULT");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn restrict_refuses_direct_delete_but_allows_cascade() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let mut album = Album {
            id: 0,
            title: "First".into(),
            author: ForeignKey::from(&b.ann),
        };
        album.save(&db).await?;
        let mut t = Track {
            id: 0,
            title: "One".into(),
            author: ForeignKey::from(&b.ann),
            album: ForeignKey::from(&album),
        };
        t.save(&db).await?;
        // Deleting the album directly: its track restricts it.
        let err = album.delete(&db).await.unwrap_err();
        match &err {
            Error::Protected { model, field } => {
                assert_eq!(*model, "Album");
                assert_eq!(field, "Track.album");
            }
            other => panic!("expected Protected, got {other}"),
        }
        assert_eq!(Album::objects().count(&db).await?, 1);
        // A track of another author restricts the album even when Ann goes.
        let mut other = Track {
            id: 0,
            title: "Two".into(),
            author: ForeignKey::from(&b.bob),
            album: ForeignKey::from(&album),
        };
        other.save(&db).await?;
        let err = b.ann.delete(&db).await.unwrap_err();
        assert!(matches!(err, Error::Protected { .. }), "{err}");
        assert_eq!(Author::objects().count(&db).await?, 3);
        assert_eq!(Track::objects().count(&db).await?, 2);
        other.delete(&db).await?;
        // Deleting the author deletes the track too, so the restriction does not apply
        // (Django's RESTRICT, unlike PROTECT).
        b.ann.delete(&db).await?;
        assert_eq!(Album::objects().count(&db).await?, 0);
        assert_eq!(Track::objects().count(&db).await?, 0);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn join_rows_go_with_either_side() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        assert_eq!(join_rows(&db).await?, 5);
        b.tags[0].delete(&db).await?; // rust: on 3 posts
        assert_eq!(join_rows(&db).await?, 2);
        assert_eq!(Post::objects().count(&db).await?, 5);
        Post::objects()
            .filter(Post::f().title.eq("Web Rust"))
            .delete(&db)
            .await?;
        assert_eq!(join_rows(&db).await?, 1);
        assert_eq!(Tag::objects().count(&db).await?, 2);
        Ok(())
    })
    .await;
}
