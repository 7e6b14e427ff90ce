//! Signals. The registry is global and tests run on parallel threads, so this file has
//! its own models (no other test binary saves them) and its tests take a lock.
#![allow(missing_docs)]

#[allow(unused_imports)]
mod common;

use std::sync::{Arc, Mutex};

use common::each_backend_with;
use trellis_orm::prelude::*;
use trellis_orm::signals::{self, M2MAction};
use trellis_orm::{Error, ModelMeta};

#[derive(Model, Debug, Clone)]
#[model(app = "sig", ordering = "id")]
pub struct Writer {
    pub id: i64,
    #[field(max_length = 50)]
    pub name: String,
}

#[derive(Model, Debug, Clone)]
#[model(app = "sig", ordering = "id")]
pub struct Label {
    pub id: i64,
    #[field(max_length = 50)]
    pub name: String,
}

#[derive(Model, Debug, Clone)]
#[model(app = "sig", ordering = "id")]
pub struct Article {
    pub id: i64,
    #[field(max_length = 50)]
    pub title: String,
    pub views: i32,
    #[field(on_delete = Cascade)]
    pub writer: ForeignKey<Writer>,
    pub labels: ManyToMany<Label>,
}

#[derive(Model, Debug, Clone)]
#[model(app = "sig", ordering = "id")]
pub struct Remark {
    pub id: i64,
    #[field(on_delete = Cascade)]
    pub article: ForeignKey<Article>,
    pub text: String,
}

fn tables() -> Vec<&'static ModelMeta> {
    vec![
        Writer::meta(),
        Label::meta(),
        Article::meta(),
        Remark::meta(),
    ]
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type Log = Arc<Mutex<Vec<String>>>;

fn article(title: &str, w: &Writer) -> Article {
    Article {
        id: 0,
        title: title.into(),
        views: 0,
        writer: ForeignKey::from(w),
        labels: Default::default(),
    }
}

/// Receivers as another app would register them: a separate module, only the public API.
mod audit_app {
    use super::*;

    pub(crate) fn connect(log: &Log) -> Vec<signals::Connection> {
        let mut out = Vec::new();
        let l = log.clone();
        out.push(signals::pre_save::<Article>().connect(move |e| {
            let l = l.clone();
            async move {
                l.lock().unwrap().push(format!(
                    "pre_save {} {:?}",
                    e.instance.title, e.update_fields
                ));
            }
        }));
        let l = log.clone();
        out.push(signals::post_save::<Article>().connect(move |e| {
            let l = l.clone();
            async move {
                // An async receiver: it awaits before recording.
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                l.lock().unwrap().push(format!(
                    "post_save {} created={} {:?} id_set={}",
                    e.instance.title,
                    e.created,
                    e.update_fields,
                    e.instance.id > 0
                ));
            }
        }));
        let l = log.clone();
        out.push(signals::pre_delete::<Article>().connect(move |e| {
            let l = l.clone();
            async move {
                l.lock()
                    .unwrap()
                    .push(format!("pre_delete {}", e.instance.title))
            }
        }));
        let l = log.clone();
        out.push(signals::post_delete::<Article>().connect(move |e| {
            let l = l.clone();
            async move {
                l.lock()
                    .unwrap()
                    .push(format!("post_delete {}", e.instance.title))
            }
        }));
        let l = log.clone();
        out.push(signals::pre_delete::<Remark>().connect(move |e| {
            let l = l.clone();
            async move {
                l.lock()
                    .unwrap()
                    .push(format!("pre_delete remark {}", e.instance.text))
            }
        }));
        let l = log.clone();
        out.push(signals::post_delete::<Remark>().connect(move |e| {
            let l = l.clone();
            async move {
                l.lock()
                    .unwrap()
                    .push(format!("post_delete remark {}", e.instance.text))
            }
        }));
        let l = log.clone();
        out.push(signals::m2m_changed().connect(move |e| {
            let l = l.clone();
            async move {
                if e.is::<Article>("labels") {
                    let n = e.pk_set.as_ref().map(Vec::len);
                    l.lock().unwrap().push(format!("{:?} {:?}", e.action, n));
                }
            }
        }));
        out
    }
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn save_and_delete_signals() {
    let _serial = SERIAL.lock().await;
    let log: Log = Default::default();
    let conns = audit_app::connect(&log);
    each_backend_with(tables(), |db| {
        let log = log.clone();
        async move {
            take(&log);
            let mut w = Writer {
                id: 0,
                name: "w".into(),
            };
            w.save(&db).await?;
            let mut a = article("A", &w);
            a.save(&db).await?;
            assert_eq!(
                take(&log),
                [
                    "pre_save A None",
                    "post_save A created=true None id_set=true"
                ]
            );
            a.title = "A2".into();
            a.save(&db).await?;
            assert_eq!(
                take(&log),
                [
                    "pre_save A2 None",
                    "post_save A2 created=false None id_set=true"
                ]
            );
            a.views = 3;
            a.save_fields(&db, &["views"]).await?;
            assert_eq!(
                take(&log),
                [
                    "pre_save A2 Some([\"views\"])",
                    "post_save A2 created=false Some([\"views\"]) id_set=true"
                ]
            );
            let mut r = Remark {
                id: 0,
                article: ForeignKey::from(&a),
                text: "r1".into(),
            };
            r.save(&db).await?;
            a.delete(&db).await?;
            assert_eq!(
                take(&log),
                [
                    "pre_delete A2",
                    "pre_delete remark r1",
                    "post_delete remark r1",
                    "post_delete A2"
                ]
            );
            // QuerySet::delete: per object, cascades included.
            let mut b = article("B", &w);
            b.save(&db).await?;
            let mut c = article("C", &w);
            c.save(&db).await?;
            Remark {
                id: 0,
                article: ForeignKey::from(&c),
                text: "r2".into(),
            }
            .save(&db)
            .await?;
            take(&log);
            let n = Article::objects().delete(&db).await?;
            assert_eq!(n, 2);
            let got = take(&log);
            for want in [
                "pre_delete B",
                "pre_delete C",
                "post_delete B",
                "post_delete C",
                "pre_delete remark r2",
                "post_delete remark r2",
            ] {
                assert!(got.iter().any(|g| g == want), "{want} missing from {got:?}");
            }
            assert_eq!(got.len(), 6, "{got:?}");
            // Deleting the writer cascades to articles: their signals fire.
            let mut d = article("D", &w);
            d.save(&db).await?;
            take(&log);
            w.delete(&db).await?;
            assert_eq!(take(&log), ["pre_delete D", "post_delete D"]);
            Ok(())
        }
    })
    .await;
    for c in conns {
        c.disconnect();
    }
}

#[tokio::test]
async fn bulk_operations_send_no_signals() {
    let _serial = SERIAL.lock().await;
    let log: Log = Default::default();
    let conns = audit_app::connect(&log);
    each_backend_with(tables(), |db| {
        let log = log.clone();
        async move {
            let mut w = Writer {
                id: 0,
                name: "w".into(),
            };
            w.save(&db).await?;
            take(&log);
            let objs =
                trellis_orm::bulk_create(&db, vec![article("x", &w), article("y", &w)]).await?;
            let mut objs = objs;
            objs[0].views = 5;
            trellis_orm::bulk_update(&db, &objs, &["views"]).await?;
            Article::objects()
                .update(&db, [("views", F::col("views") + 1)])
                .await?;
            assert!(take(&log).is_empty());
            assert_eq!(
                Article::objects()
                    .filter(Article::f().views.eq(6))
                    .count(&db)
                    .await?,
                1
            );
            Ok(())
        }
    })
    .await;
    for c in conns {
        c.disconnect();
    }
}

#[tokio::test]
async fn m2m_changed_signals() {
    let _serial = SERIAL.lock().await;
    let log: Log = Default::default();
    let conns = audit_app::connect(&log);
    each_backend_with(tables(), |db| {
        let log = log.clone();
        async move {
            let mut w = Writer {
                id: 0,
                name: "w".into(),
            };
            w.save(&db).await?;
            let mut a = article("A", &w);
            a.save(&db).await?;
            let mut l1 = Label {
                id: 0,
                name: "l1".into(),
            };
            l1.save(&db).await?;
            let mut l2 = Label {
                id: 0,
                name: "l2".into(),
            };
            l2.save(&db).await?;
            take(&log);
            a.labels.add(&db, &[&l1, &l2]).await?;
            a.labels.add(&db, &[&l1]).await?; // nothing new: no signal
            a.labels.remove(&db, &[&l2]).await?;
            a.labels.clear(&db).await?;
            assert_eq!(
                take(&log),
                [
                    "PreAdd Some(2)",
                    "PostAdd Some(2)",
                    "PreRemove Some(1)",
                    "PostRemove Some(1)",
                    "PreClear None",
                    "PostClear None"
                ]
            );
            let _ = M2MAction::PreAdd;
            Ok::<_, Error>(())
        }
    })
    .await;
    for c in conns {
        c.disconnect();
    }
}

#[tokio::test]
async fn disconnected_receivers_are_not_called() {
    let _serial = SERIAL.lock().await;
    let log: Log = Default::default();
    let conns = audit_app::connect(&log);
    for c in conns {
        c.disconnect();
    }
    each_backend_with(tables(), |db| {
        let log = log.clone();
        async move {
            let mut w = Writer {
                id: 0,
                name: "w".into(),
            };
            w.save(&db).await?;
            article("A", &w).save(&db).await?;
            assert!(take(&log).is_empty());
            Ok(())
        }
    })
    .await;
}
