//! Adding and removing many-to-many links (with `m2m_changed`).

use sea_query::{Expr, ExprTrait, Query, Value};

use crate::backend::Executor;
use crate::error::Result;
use crate::model::ManyToManyMeta;
use crate::signals::{self, M2MAction, M2MChanged};

pub(crate) async fn add(
    db: &impl Executor,
    meta: &'static ManyToManyMeta,
    owner: Value,
    ids: Vec<Value>,
    model: &'static str,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let conn = db.conn();
    // Skip links that exist already (add() is idempotent, as in Django).
    let existing = Query::select()
        .column(meta.target_column.clone())
        .from(meta.through_table.clone())
        .and_where(Expr::col(meta.source_column.clone()).eq(owner.clone()))
        .and_where(Expr::col(meta.target_column.clone()).is_in(ids.clone()))
        .to_owned();
    let (sql, values) = conn.backend().build(&existing);
    let rows = conn.fetch_all(sql, values).await?;
    let present: Vec<serde_json::Value> = rows.iter().map(|r| r.json(0)).collect();
    let mut new_ids = Vec::new();
    for id in ids {
        let as_json = value_json(&id);
        if !present.contains(&as_json) && !new_ids.iter().any(|v: &Value| value_json(v) == as_json)
        {
            new_ids.push(id);
        }
    }
    if new_ids.is_empty() {
        return Ok(());
    }
    let signal = signals::m2m_changed();
    let send = signal.has_receivers();
    let event = |action| M2MChanged {
        action,
        model,
        field: meta.name,
        instance_pk: owner.clone(),
        pk_set: Some(new_ids.clone()),
    };
    if send {
        signal.send(event(M2MAction::PreAdd)).await;
    }
    let mut insert = Query::insert();
    insert
        .into_table(meta.through_table.clone())
        .columns([meta.source_column.clone(), meta.target_column.clone()]);
    for id in &new_ids {
        insert.values_panic([owner.clone().into(), id.clone().into()]);
    }
    let (sql, values) = conn.backend().build(&insert);
    conn.execute(sql, values).await?;
    if send {
        signal.send(event(M2MAction::PostAdd)).await;
    }
    Ok(())
}

pub(crate) async fn remove(
    db: &impl Executor,
    meta: &'static ManyToManyMeta,
    owner: Value,
    ids: Option<Vec<Value>>,
    model: &'static str,
) -> Result<()> {
    let conn = db.conn();
    let signal = signals::m2m_changed();
    let send = signal.has_receivers();
    let (pre, post) = if ids.is_some() {
        (M2MAction::PreRemove, M2MAction::PostRemove)
    } else {
        (M2MAction::PreClear, M2MAction::PostClear)
    };
    let event = |action| M2MChanged {
        action,
        model,
        field: meta.name,
        instance_pk: owner.clone(),
        pk_set: ids.clone(),
    };
    if send {
        signal.send(event(pre)).await;
    }
    let mut delete = Query::delete();
    delete
        .from_table(meta.through_table.clone())
        .and_where(Expr::col(meta.source_column.clone()).eq(owner.clone()));
    if let Some(ids) = &ids {
        if ids.is_empty() {
            return Ok(());
        }
        delete.and_where(Expr::col(meta.target_column.clone()).is_in(ids.clone()));
    }
    let (sql, values) = conn.backend().build(&delete);
    conn.execute(sql, values).await?;
    if send {
        signal.send(event(post)).await;
    }
    Ok(())
}

/// A bound value as JSON, to compare keys read back from the database.
pub(crate) fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::SmallInt(Some(i)) => (*i).into(),
        Value::Int(Some(i)) => (*i).into(),
        Value::BigInt(Some(i)) => (*i).into(),
        Value::String(Some(s)) => s.to_string().into(),
        Value::Uuid(Some(u)) => u.to_string().into(),
        _ => serde_json::Value::Null,
    }
}
