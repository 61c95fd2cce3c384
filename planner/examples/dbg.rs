fn main() {
    let f = std::env::args().nth(1).unwrap();
    let q: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let src = std::fs::read_to_string(&f).unwrap();
    let l = sim_planner::load(&f, &src, None).unwrap();
    let db = &l.states[q];
    let (_, query) = sim_planner::prepare(db, l.file.queries[q].sql.get_ref()).unwrap();
    let p = sim_planner::plan::Planner::new(db, &query);
    p.debug_paths();
}
