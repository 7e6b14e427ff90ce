//! Transactions: commit, rollback, savepoints, on_commit, dropped transactions.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use trellis_orm::Error;
use trellis_orm::prelude::*;

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, s: &str) -> impl Future<Output = ()> + Send + 'static + use<> {
    let log = log.clone();
    let s = s.to_string();
    async move { log.lock().unwrap().push(s) }
}

async fn names(db: &impl Executor) -> trellis_orm::Result<Vec<String>> {
    Ok(Author::objects()
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect())
}

#[tokio::test]
async fn atomic_commits_and_rolls_back() {
    each_backend(|db| async move {
        let id = db
            .atomic(|tx| async move {
                let mut a = author("Ann");
                a.save(&tx).await?;
                let mut p = post("in tx", &a);
                p.save(&tx).await?;
                Ok::<_, Error>(a.id)
            })
            .await?;
        assert!(id > 0);
        assert_eq!(names(&db).await?, ["Ann"]);
        assert_eq!(Post::objects().count(&db).await?, 1);
        let result: Result<(), Error> = db
            .atomic(|tx| async move {
                author("Bob").save(&tx).await?;
                assert_eq!(Author::objects().count(&tx).await?, 2, "visible inside");
                Err(Error::InvalidQuery("boom".into()))
            })
            .await;
        assert!(matches!(result, Err(Error::InvalidQuery(_))));
        assert_eq!(names(&db).await?, ["Ann"], "rolled back");
        // A database error inside rolls back too.
        let result = db
            .atomic(|tx| async move {
                author("Cy").save(&tx).await?;
                author("Ann").save(&tx).await?; // unique violation
                Ok::<_, Error>(())
            })
            .await;
        assert!(matches!(result, Err(Error::Database(_))));
        assert_eq!(names(&db).await?, ["Ann"]);
        // Explicit begin/commit.
        let tx = db.begin().await?;
        author("Dee").save(&tx).await?;
        tx.commit().await?;
        assert_eq!(names(&db).await?, ["Ann", "Dee"]);
        let tx = db.begin().await?;
        author("Eve").save(&tx).await?;
        tx.rollback().await?;
        assert_eq!(names(&db).await?, ["Ann", "Dee"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn nested_atomic_is_a_savepoint() {
    each_backend(|db| async move {
        db.atomic(|tx| async move {
            author("Outer").save(&tx).await?;
            let inner: Result<(), Error> = tx
                .atomic(|sp| async move {
                    assert_eq!(sp.depth(), 1);
                    author("Inner").save(&sp).await?;
                    Err(Error::InvalidQuery("inner fails".into()))
                })
                .await;
            assert!(inner.is_err());
            assert_eq!(
                names(&tx).await?,
                ["Outer"],
                "only the inner work rolled back"
            );
            // A database error in a savepoint leaves the outer transaction usable
            // (PostgreSQL would otherwise abort the whole transaction).
            let dup: Result<(), Error> = tx
                .atomic(|sp| async move {
                    author("Outer").save(&sp).await?;
                    Ok(())
                })
                .await;
            assert!(matches!(dup, Err(Error::Database(_))));
            tx.atomic(|sp| async move {
                author("Kept").save(&sp).await?;
                sp.atomic(|sp2| async move {
                    assert_eq!(sp2.depth(), 2);
                    author("Deep").save(&sp2).await?;
                    Ok::<_, Error>(())
                })
                .await
            })
            .await?;
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["Deep", "Kept", "Outer"]);
        // An outer rollback undoes committed savepoints.
        let r: Result<(), Error> = db
            .atomic(|tx| async move {
                tx.atomic(|sp| async move {
                    author("Gone").save(&sp).await?;
                    Ok::<_, Error>(())
                })
                .await?;
                Err(Error::InvalidQuery("outer fails".into()))
            })
            .await;
        assert!(r.is_err());
        assert_eq!(names(&db).await?, ["Deep", "Kept", "Outer"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn on_commit_runs_after_the_outermost_commit() {
    each_backend(|db| async move {
        let log: Log = Default::default();
        let l = log.clone();
        db.atomic(|tx| async move {
            let l2 = l.clone();
            tx.on_commit(move || push(&l2, "first"));
            let l3 = l.clone();
            tx.atomic(|sp| async move {
                let l4 = l3.clone();
                sp.on_commit(move || push(&l4, "in savepoint"));
                Ok::<_, Error>(())
            })
            .await?;
            let l5 = l.clone();
            let r: Result<(), Error> = tx
                .atomic(|sp| async move {
                    let l6 = l5.clone();
                    sp.on_commit(move || push(&l6, "rolled back savepoint"));
                    Err(Error::InvalidQuery("no".into()))
                })
                .await;
            assert!(r.is_err());
            let l7 = l.clone();
            trellis_orm::on_commit(&tx, move || push(&l7, "last")).await;
            assert!(
                l.lock().unwrap().is_empty(),
                "nothing runs before the commit"
            );
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(*log.lock().unwrap(), ["first", "in savepoint", "last"]);
        // Dropped with the outer transaction.
        log.lock().unwrap().clear();
        let l = log.clone();
        let r: Result<(), Error> = db
            .atomic(|tx| async move {
                let l2 = l.clone();
                tx.on_commit(move || push(&l2, "never"));
                Err(Error::InvalidQuery("rollback".into()))
            })
            .await;
        assert!(r.is_err());
        assert!(log.lock().unwrap().is_empty());
        // Outside a transaction: runs immediately.
        trellis_orm::on_commit(&db, {
            let l = log.clone();
            move || push(&l, "now")
        })
        .await;
        assert_eq!(*log.lock().unwrap(), ["now"]);
        // The callback sees the committed data (it runs after COMMIT).
        let seen: Arc<Mutex<u64>> = Default::default();
        let (s, d) = (seen.clone(), db.clone());
        db.atomic(|tx| async move {
            author("Committed").save(&tx).await?;
            tx.on_commit(move || async move {
                *s.lock().unwrap() = Author::objects().count(&d).await.unwrap();
            });
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(*seen.lock().unwrap(), 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn dropped_transaction_leaves_nothing_and_the_pool_works() {
    each_backend(|db| async move {
        // More times than the pool has connections.
        for i in 0..15 {
            let tx = db.begin().await?;
            author(&format!("ghost{i}")).save(&tx).await?;
            drop(tx);
        }
        assert_eq!(Author::objects().count(&db).await?, 0);
        db.atomic(|tx| async move {
            author("Real").save(&tx).await?;
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(names(&db).await?, ["Real"]);
        // A finished transaction refuses further queries.
        let tx = db.begin().await?;
        let keep = tx.clone();
        tx.commit().await?;
        let err = Author::objects().count(&keep).await.unwrap_err();
        assert!(err.to_string().contains("finished"), "{err}");
        Ok(())
    })
    .await;
}
