//! Every field type round-trips on every backend.
//!
//! Decimals are exact on PostgreSQL and MySQL. SQLite has no decimal type: a `decimal`
//! column has NUMERIC affinity and stores values as 64-bit floats when they fit, so
//! decimals keep about 15 significant digits there (as in Django on SQLite).
#![allow(missing_docs)]

#[allow(unused_imports)]
mod common;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use common::each_backend_with;
use rust_decimal::Decimal;
use serde_json::json;
use trellis_orm::prelude::*;
use trellis_orm::{DefaultValue, FieldKind, ModelMeta};

#[derive(Choices, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    #[choice(value = "M", label = "Medium")]
    Medium,
    ExtraLarge,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(app = "types", ordering = "id")]
pub struct Everything {
    pub id: i64,
    pub flag: bool,
    pub small: i16,
    pub int: i32,
    pub big: i64,
    pub float: f32,
    pub double: f64,
    #[field(max_digits = 20, decimal_places = 6)]
    pub money: Decimal,
    #[field(max_length = 40)]
    pub name: String,
    pub text: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub time: NaiveTime,
    pub uid: uuid::Uuid,
    pub doc: serde_json::Value,
    pub blob: Vec<u8>,
    #[field(default = Size::Medium)]
    pub size: Size,
    pub maybe_int: Option<i32>,
    pub maybe_text: Option<String>,
    pub maybe_at: Option<DateTime<Utc>>,
    pub maybe_uid: Option<uuid::Uuid>,
    pub maybe_doc: Option<serde_json::Value>,
    pub maybe_size: Option<Size>,
    pub maybe_flag: Option<bool>,
    #[field(default = 7)]
    pub seven: i32,
    #[field(max_length = 10, default = "x")]
    pub ex: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(app = "types")]
pub struct Device {
    #[field(primary_key)]
    pub key: uuid::Uuid,
    #[field(max_length = 40)]
    pub label: String,
}

#[derive(Model, Debug, Clone)]
#[model(app = "types")]
pub struct Reading {
    pub id: i64,
    #[field(on_delete = Cascade)]
    pub device: ForeignKey<Device>,
    pub value: f64,
}

fn tables() -> Vec<&'static ModelMeta> {
    vec![Everything::meta(), Device::meta(), Reading::meta()]
}

fn sample() -> Everything {
    Everything {
        id: 0,
        flag: true,
        small: -32768,
        int: i32::MAX,
        big: i64::MIN + 1,
        float: 1.5,
        double: -0.1 + 0.2,
        money: "12345678901234.123456".parse().unwrap(),
        name: "日本語のテキスト 🦀".into(),
        text: "emoji 👩‍💻 'quotes' \"double\" back\\slash\nnewline ‘curly’".into(),
        day: NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        at: Utc.with_ymd_and_hms(2024, 3, 10, 23, 59, 58).unwrap()
            + chrono::Duration::microseconds(123_456),
        time: NaiveTime::from_hms_micro_opt(13, 14, 15, 500_000).unwrap(),
        uid: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        doc: json!({"a": [1, 2.5, "x"], "b": {"c": null, "d": true}, "ü": "日本"}),
        blob: vec![0, 1, 2, 255, 0, 39, 34],
        size: Size::ExtraLarge,
        maybe_int: None,
        maybe_text: None,
        maybe_at: None,
        maybe_uid: None,
        maybe_doc: None,
        maybe_size: None,
        maybe_flag: None,
        seven: 7,
        ex: "x".into(),
    }
}

#[tokio::test]
async fn every_type_round_trips() {
    each_backend_with(tables(), |db| async move {
        let mut e = sample();
        e.save(&db).await?;
        let got = Everything::get_by_pk(&db, e.id).await?;
        let mut want = e.clone();
        if db.backend() == Backend::Sqlite {
            // SQLite stores decimals as floats: about 15 significant digits survive.
            assert_eq!(got.money.round_dp(1), Decimal::new(123_456_789_012_341, 1));
            want.money = got.money;
        }
        assert_eq!(got, want);
        // Option<T>: values, then back to NULL.
        let mut e2 = e.clone();
        e2.maybe_int = Some(-5);
        e2.maybe_text = Some(String::new());
        e2.maybe_at = Some(Utc.with_ymd_and_hms(1999, 12, 31, 0, 0, 0).unwrap());
        e2.maybe_uid = Some(uuid::Uuid::nil());
        e2.maybe_doc = Some(json!([]));
        e2.maybe_size = Some(Size::Small);
        e2.maybe_flag = Some(false);
        e2.save(&db).await?;
        let got2 = Everything::get_by_pk(&db, e.id).await?;
        assert_eq!(got2.maybe_int, Some(-5));
        assert_eq!(
            got2.maybe_text.as_deref(),
            Some(""),
            "empty string is not NULL"
        );
        assert_eq!(got2.maybe_at, e2.maybe_at);
        assert_eq!(got2.maybe_uid, Some(uuid::Uuid::nil()));
        assert_eq!(got2.maybe_doc, Some(json!([])));
        assert_eq!(got2.maybe_size, Some(Size::Small));
        assert_eq!(got2.maybe_flag, Some(false));
        e.save(&db).await?;
        assert_eq!(Everything::get_by_pk(&db, e.id).await?.maybe_flag, None);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn lookups_on_typed_columns() {
    each_backend_with(tables(), |db| async move {
        let mut e = sample();
        e.save(&db).await?;
        let mut other = sample();
        other.flag = false;
        other.at = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        other.day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        other.uid = uuid::Uuid::from_u128(7);
        other.size = Size::Small;
        other.money = Decimal::new(5, 1);
        other.maybe_int = Some(3);
        other.save(&db).await?;
        let f = Everything::f();
        let n = |q: Q| {
            let db = db.clone();
            async move { Everything::objects().filter(q).count(&db).await }
        };
        assert_eq!(n(f.flag.eq(true)).await?, 1);
        assert_eq!(n(f.flag.eq(false)).await?, 1);
        assert_eq!(
            n(f.at.gt(Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap())).await?,
            1
        );
        assert_eq!(n(f.at.eq(e.at)).await?, 1);
        assert_eq!(
            n(f.day.lt(NaiveDate::from_ymd_opt(2021, 1, 1).unwrap())).await?,
            1
        );
        assert_eq!(n(f.uid.eq(uuid::Uuid::from_u128(7))).await?, 1);
        assert_eq!(n(f.uid.is_in([e.uid, other.uid])).await?, 2);
        assert_eq!(n(f.size.eq(Size::ExtraLarge)).await?, 1);
        assert_eq!(n(f.size.is_in([Size::Small, Size::Medium])).await?, 1);
        assert_eq!(n(f.money.lt(Decimal::ONE)).await?, 1);
        assert_eq!(n(f.maybe_int.eq(3)).await?, 1);
        assert_eq!(n(f.maybe_int.is_null(true)).await?, 1);
        assert_eq!(n(f.name.contains("テキスト")).await?, 2);
        assert_eq!(n(f.name.contains("🦀")).await?, 2);
        assert_eq!(n(f.text.contains("'quotes'")).await?, 2);
        assert_eq!(n(f.text.contains("back\\slash")).await?, 2);
        assert_eq!(n(f.text.contains("‘curly’")).await?, 2);
        // values() gives the same JSON on every backend.
        let rows = Everything::objects()
            .filter(f.uid.eq(uuid::Uuid::from_u128(7)))
            .values(
                &db,
                [
                    "flag",
                    "small",
                    "money",
                    "day",
                    "at",
                    "time",
                    "uid",
                    "doc",
                    "size",
                    "maybe_int",
                    "maybe_flag",
                    "name",
                ],
            )
            .await?;
        assert_eq!(
            serde_json::Value::Object(rows[0].clone()),
            json!({
                "flag": false,
                "small": -32768,
                "money": "0.500000",
                "day": "2020-01-01",
                "at": "2020-01-01T00:00:00+00:00",
                "time": "13:14:15.500",
                "uid": "00000000-0000-0000-0000-000000000007",
                "doc": {"a": [1, 2.5, "x"], "b": {"c": null, "d": true}, "ü": "日本"},
                "size": "small",
                "maybe_int": 3,
                "maybe_flag": null,
                "name": "日本語のテキスト 🦀",
            })
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn defaults_and_choices_metadata() {
    let meta = Everything::meta();
    let seven = meta.field("seven").unwrap();
    assert_eq!(
        seven.default,
        Some(DefaultValue::Value(sea_query::Value::Int(Some(7))))
    );
    assert_eq!(
        meta.field("size").unwrap().default,
        Some(DefaultValue::Value("M".into()))
    );
    assert_eq!(
        meta.field("size").unwrap().choices,
        vec![
            ("small".to_string(), "Small".to_string()),
            ("M".to_string(), "Medium".to_string()),
            ("extra_large".to_string(), "ExtraLarge".to_string()),
        ]
    );
    assert_eq!(
        meta.field("size").unwrap().kind,
        FieldKind::Char { max_length: 11 }
    );
    assert!(meta.field("maybe_uid").unwrap().null);
    assert!(!meta.field("uid").unwrap().null);
    assert_eq!(meta.pk().kind, FieldKind::BigAuto);
    assert_eq!(Device::meta().pk().kind, FieldKind::Uuid);
}

#[tokio::test]
async fn uuid_primary_key() {
    each_backend_with(tables(), |db| async move {
        let mut d = Device {
            key: uuid::Uuid::nil(),
            label: "sensor".into(),
        };
        d.save(&db).await?;
        assert!(!d.key.is_nil(), "a new uuid was generated");
        let got = Device::get_by_pk(&db, d.key).await?;
        assert_eq!(got, d);
        d.label = "renamed".into();
        d.save(&db).await?;
        assert_eq!(Device::objects().count(&db).await?, 1);
        assert_eq!(Device::get_by_pk(&db, d.key).await?.label, "renamed");
        // A chosen key is kept; save() of an unknown key inserts.
        let key = uuid::Uuid::from_u128(42);
        let mut chosen = Device {
            key,
            label: "chosen".into(),
        };
        chosen.save(&db).await?;
        assert_eq!(chosen.key, key);
        assert_eq!(Device::objects().count(&db).await?, 2);
        // Foreign keys to it, select_related, prefetch, delete cascade.
        let mut r = Reading {
            id: 0,
            device: ForeignKey::from(&d),
            value: 1.5,
        };
        r.save(&db).await?;
        let rs = Reading::objects()
            .select_related(["device"])
            .all(&db)
            .await?;
        assert_eq!(rs[0].device.try_get()?.label, "renamed");
        let rs = Reading::objects()
            .prefetch_related(["device"])
            .all(&db)
            .await?;
        assert_eq!(rs[0].device.try_get()?.key, d.key);
        let many = trellis_orm::bulk_create(
            &db,
            vec![
                Device {
                    key: uuid::Uuid::nil(),
                    label: "a".into(),
                },
                Device {
                    key: uuid::Uuid::nil(),
                    label: "b".into(),
                },
            ],
        )
        .await?;
        assert!(many.iter().all(|d| !d.key.is_nil()));
        assert_ne!(many[0].key, many[1].key);
        assert_eq!(Device::objects().count(&db).await?, 4);
        d.delete(&db).await?;
        assert_eq!(Reading::objects().count(&db).await?, 0);
        Ok(())
    })
    .await;
}
