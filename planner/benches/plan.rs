//! Planner benchmarks (`cargo bench -p sim-planner --bench plan`; `cargo xtask bench` puts the
//! wasm32 figures beside these): planning a six-table join, and EXPLAIN ANALYZE over a million
//! generated rows. Prints `bench <name> <median ms>` lines for xtask to compare.
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let six = sim_planner::load("six-way.toml", include_str!("six-way.toml"), None).expect("six-way lesson");
    let sql = six.file.queries[0].sql.get_ref().clone();
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let e = sim_planner::explain(&six.db, &sql, None).expect("plans");
        std::hint::black_box(e.plan.total);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("bench plan_six_way_join {:.3}", median(times));

    let t = Instant::now();
    let million = sim_planner::load("million.toml", include_str!("million.toml"), None).expect("million lesson");
    println!("bench load_million_rows {:.3}", t.elapsed().as_secs_f64() * 1e3);
    let sql = million.file.queries[0].sql.get_ref().clone();
    let opts = sim_planner::sql::ExplainOpts { analyze: true, ..Default::default() };
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let e = sim_planner::explain(&million.db, &sql, Some(opts)).expect("runs");
        std::hint::black_box(e.analyzed.as_ref().map(|a| a.rows_out));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("bench explain_analyze_million_rows {:.3}", median(times));
}
