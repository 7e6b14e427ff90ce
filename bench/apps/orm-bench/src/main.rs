//! ORM benchmark, Rust side (`bench/orm/run` drives it): the Trellis ORM against raw sqlx
//! on the workloads of diesel's `diesel_bench`, on SQLite and PostgreSQL.
//!
//! ```text
//! bench-orm setup URL                     create the tables (ORM schema editor) and the data
//! bench-orm check URL DB                  run every workload once per contender, print checks
//! bench-orm run URL DB [--rounds N]       time every workload, print one JSON line per result
//! bench-orm pg-schema create|drop ADMIN_URL SCHEMA
//! bench-orm loop URL trellis|sqlx WORKLOAD N   run one workload N times (for a profiler)
//! ```
//!
//! `DB` is the label printed in the results (`sqlite`, `postgres`). Iteration counts come
//! from `BENCH_ITERS` (`load_1=2000,load_100=1000,...`), the same variable the Django
//! harness reads. Each contender runs `max(2, iters / 10)` warm-up operations, then the
//! iterations in `N` interleaved rounds (round 1: Trellis then sqlx; round 2: sqlx then
//! Trellis; ...), so that slow drifts of the machine hit both alike. Every operation is
//! timed on its own with `Instant`; the JSON gives median, mean, min and max in µs.

mod data;
mod orm;
mod raw;

use std::time::Duration;

use data::Check;
use serde_json::json;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The workloads, in report order.
const WORKLOADS: [&str; 8] = [
    "load_1",
    "load_100",
    "load_10000",
    "left_join",
    "insert_bulk_100",
    "insert_loop_100",
    "prefetch",
    "prefetch_manual",
];

enum Contender {
    Trellis(orm::Bench),
    Sqlx(raw::Bench),
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::Trellis(_) => "trellis",
            Contender::Sqlx(_) => "sqlx",
        }
    }

    async fn op(&self, workload: &str) -> Res<(Duration, Check)> {
        match (self, workload) {
            (Contender::Trellis(b), "load_1") => b.load(1).await,
            (Contender::Trellis(b), "load_100") => b.load(100).await,
            (Contender::Trellis(b), "load_10000") => b.load(10_000).await,
            (Contender::Trellis(b), "left_join") => b.left_join().await,
            (Contender::Trellis(b), "insert_bulk_100") => b.insert_bulk().await,
            (Contender::Trellis(b), "insert_loop_100") => b.insert_loop().await,
            (Contender::Trellis(b), "prefetch") => b.prefetch().await,
            (Contender::Trellis(b), "prefetch_manual") => b.prefetch_manual().await,
            (Contender::Sqlx(b), "load_1") => b.load(1).await,
            (Contender::Sqlx(b), "load_100") => b.load(100).await,
            (Contender::Sqlx(b), "load_10000") => b.load(10_000).await,
            (Contender::Sqlx(b), "left_join") => b.left_join().await,
            (Contender::Sqlx(b), "insert_bulk_100") => b.insert_bulk().await,
            (Contender::Sqlx(b), "insert_loop_100") => b.insert_loop().await,
            // Raw sqlx has no prefetch_related: both rows run the same hand-written code.
            (Contender::Sqlx(b), "prefetch" | "prefetch_manual") => b.prefetch().await,
            (_, other) => Err(format!("unknown workload {other:?}").into()),
        }
    }
}

async fn contenders(url: &str) -> Res<Vec<Contender>> {
    Ok(vec![
        Contender::Trellis(orm::Bench::connect(url).await?),
        Contender::Sqlx(raw::Bench::connect(url).await?),
    ])
}

async fn close(contenders: Vec<Contender>) {
    for c in contenders {
        match c {
            Contender::Trellis(b) => b.db.close().await,
            Contender::Sqlx(b) => b.close().await,
        }
    }
}

/// `BENCH_ITERS`: `name=count` pairs separated by commas.
fn iterations() -> Res<Vec<(&'static str, usize)>> {
    let spec = std::env::var("BENCH_ITERS").unwrap_or_default();
    let mut out = Vec::new();
    for pair in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let (name, n) = pair
            .split_once('=')
            .ok_or_else(|| format!("BENCH_ITERS: {pair:?} is not name=count"))?;
        let name = WORKLOADS
            .iter()
            .find(|w| **w == name.trim())
            .ok_or_else(|| format!("BENCH_ITERS: unknown workload {name:?}"))?;
        out.push((*name, n.trim().parse::<usize>()?));
    }
    if out.is_empty() {
        return Err("set BENCH_ITERS (bench/orm/run does)".into());
    }
    Ok(out)
}

fn summary(samples: &mut [u64]) -> serde_json::Value {
    samples.sort_unstable();
    let n = samples.len();
    let us = |ns: u64| ns as f64 / 1000.0;
    let median = if n % 2 == 1 {
        us(samples[n / 2])
    } else {
        (us(samples[n / 2 - 1]) + us(samples[n / 2])) / 2.0
    };
    let mean = samples.iter().map(|&s| us(s)).sum::<f64>() / n as f64;
    json!({
        "median_us": median,
        "mean_us": mean,
        "min_us": us(samples[0]),
        "max_us": us(samples[n - 1]),
    })
}

/// An error as one short line for the report (some errors print every bound value).
fn short(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string().replace('\n', " ");
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// PostgreSQL's next transaction id: the number of write transactions between two reads
/// (reading it assigns none). Shows that every contender commits the same way (e.g. one
/// transaction per `save()` in `insert_loop_100`); other clients of the server add to it.
async fn next_xid(pool: &sqlx::PgPool) -> Res<i64> {
    let xid: i64 =
        sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            .fetch_one(pool)
            .await?;
    Ok(xid)
}

async fn check(url: &str, db: &str) -> Res<()> {
    let cs = contenders(url).await?;
    let xids = if url.starts_with("postgres") {
        Some(sqlx::PgPool::connect(url).await?)
    } else {
        None
    };
    for w in WORKLOADS {
        for c in &cs {
            let before = match &xids {
                Some(p) => Some(next_xid(p).await?),
                None => None,
            };
            let mut line = match c.op(w).await {
                Ok((_, check)) => json!({"type": "check", "db": db, "contender": c.name(),
                    "workload": w, "rows": check.rows, "checksum": check.checksum}),
                Err(e) => json!({"type": "check", "db": db, "contender": c.name(),
                    "workload": w, "error": short(&e)}),
            };
            if let (Some(p), Some(before)) = (&xids, before) {
                line["transactions"] = json!(next_xid(p).await? - before);
            }
            println!("{line}");
        }
    }
    close(cs).await;
    if let Some(p) = xids {
        p.close().await;
    }
    Ok(())
}

async fn run(url: &str, db: &str, rounds: usize) -> Res<()> {
    let cs = contenders(url).await?;
    for (w, iters) in iterations()? {
        let warmup = (iters / 10).max(2);
        let per_round = iters.div_ceil(rounds).max(1);
        let mut samples: Vec<Vec<u64>> = vec![Vec::with_capacity(iters); cs.len()];
        // A contender whose operation fails is reported with the error, not timed.
        let mut failed: Vec<Option<String>> = vec![None; cs.len()];
        let mut expected: Option<Check> = None;
        for (i, c) in cs.iter().enumerate() {
            for _ in 0..warmup {
                match c.op(w).await {
                    Ok((_, check)) => match expected {
                        None => expected = Some(check),
                        Some(e) if e != check => {
                            failed[i] = Some(format!("returned {check:?}, expected {e:?}"));
                            break;
                        }
                        Some(_) => {}
                    },
                    Err(e) => {
                        failed[i] = Some(short(&e));
                        break;
                    }
                }
            }
        }
        for round in 0..rounds {
            let order: Vec<usize> = if round % 2 == 0 {
                (0..cs.len()).collect()
            } else {
                (0..cs.len()).rev().collect()
            };
            for i in order {
                if failed[i].is_some() {
                    continue;
                }
                for _ in 0..per_round {
                    let (elapsed, _) = cs[i].op(w).await?;
                    samples[i].push(elapsed.as_nanos() as u64);
                }
            }
        }
        for ((c, s), err) in cs.iter().zip(samples.iter_mut()).zip(&failed) {
            let mut line = json!({"type": "result", "db": db, "contender": c.name(),
                                  "workload": w, "iters": s.len(), "warmup": warmup,
                                  "rounds": rounds});
            let extra = match err {
                Some(e) => json!({ "error": e }),
                None => summary(s),
            };
            if let (Some(obj), serde_json::Value::Object(extra)) = (line.as_object_mut(), extra) {
                obj.extend(extra);
            }
            println!("{line}");
        }
        eprintln!("    {db} {w}: done");
    }
    close(cs).await;
    Ok(())
}

async fn pg_schema(action: &str, admin_url: &str, schema: &str) -> Res<()> {
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!("bad schema name {schema:?}").into());
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    let sql = match action {
        "create" => format!("CREATE SCHEMA \"{schema}\""),
        "drop" => format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"),
        other => return Err(format!("pg-schema: unknown action {other:?}").into()),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Run one workload of one contender `n` times and print the mean: a steady loop to
/// attach a profiler to (`perf record -g -- bench-orm loop ...`).
async fn profile_loop(url: &str, contender: &str, workload: &str, n: usize) -> Res<()> {
    let cs = contenders(url).await?;
    let c = cs
        .iter()
        .find(|c| c.name() == contender)
        .ok_or_else(|| format!("unknown contender {contender:?}"))?;
    let mut total = Duration::ZERO;
    for _ in 0..n {
        total += c.op(workload).await?.0;
    }
    eprintln!(
        "{contender} {workload}: {n} operations, mean {:.1} µs",
        total.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    close(cs).await;
    Ok(())
}

fn usage() -> Res<()> {
    Err(
        "usage: bench-orm setup URL | check URL DB | run URL DB [--rounds N] | \
         pg-schema create|drop ADMIN_URL SCHEMA | loop URL CONTENDER WORKLOAD N"
            .into(),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match (arg(0), arg(1), arg(2)) {
        (Some("setup"), Some(url), _) => {
            let b = orm::Bench::connect(url).await?;
            b.setup().await?;
            b.db.close().await;
            Ok(())
        }
        (Some("check"), Some(url), Some(db)) => check(url, db).await,
        (Some("run"), Some(url), Some(db)) => {
            let rounds = match (arg(3), arg(4)) {
                (Some("--rounds"), Some(n)) => n.parse::<usize>()?.max(1),
                (None, _) => 3,
                _ => return usage(),
            };
            run(url, db, rounds).await
        }
        (Some("loop"), Some(url), Some(contender)) => match (arg(3), arg(4)) {
            (Some(workload), Some(n)) => profile_loop(url, contender, workload, n.parse()?).await,
            _ => usage(),
        },
        (Some("pg-schema"), Some(action), Some(admin)) => match arg(3) {
            Some(schema) => pg_schema(action, admin, schema).await,
            None => usage(),
        },
        _ => usage(),
    }
}
