//! The what-if commands applied to a database, and the SQL each stands for.
use crate::catalog::ExtKind;
use crate::command::PlanCommand;
use crate::db::Database;

impl PlanCommand {
    /// The SQL statement the command stands for.
    pub fn sql(&self, db: &Database) -> String {
        match self {
            PlanCommand::Set { name, value } => format!("SET {name} = '{}';", value.text()),
            PlanCommand::CreateIndex { table, columns, unique, name } => {
                let name = name.clone().unwrap_or_else(|| {
                    db.table(table).map_or_else(|| format!("{table}_idx"), |t| db.default_index_name(t, &columns.iter().filter_map(|c| db.tables[t].column(c)).collect::<Vec<_>>()))
                });
                format!("CREATE {}INDEX {name} ON {table} ({});", if *unique { "UNIQUE " } else { "" }, columns.join(", "))
            }
            PlanCommand::DropIndex { name } => format!("DROP INDEX {name};"),
            PlanCommand::CreateStatistics { name, table, columns, kinds } => {
                let k: Vec<&str> = kinds.iter().map(|k| if *k == ExtKind::Dependencies { "dependencies" } else { "ndistinct" }).collect();
                format!("CREATE STATISTICS {name} ({}) ON {} FROM {table};", k.join(", "), columns.join(", "))
            }
            PlanCommand::DropStatistics { name } => format!("DROP STATISTICS {name};"),
            PlanCommand::Analyze { table } => table.as_ref().map_or_else(|| "ANALYZE;".to_string(), |t| format!("ANALYZE {t};")),
            PlanCommand::SetStatistics { table, column, target } => format!("ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {target};"),
        }
    }

    /// Applies the command; a refusal carries PostgreSQL's error text.
    pub fn apply(&self, db: &mut Database) -> Result<(), String> {
        let table = |db: &Database, t: &str| db.table(t).ok_or_else(|| format!("relation \"{t}\" does not exist"));
        let column = |db: &Database, t: usize, c: &str| db.tables[t].column(c).ok_or_else(|| format!("column \"{c}\" does not exist"));
        match self {
            PlanCommand::Set { name, value } => db.settings.set(name, &value.text()),
            PlanCommand::CreateIndex { table: tn, columns, unique, name } => {
                let t = table(db, tn)?;
                let cols = columns.iter().map(|c| column(db, t, c)).collect::<Result<Vec<_>, _>>()?;
                if cols.is_empty() || cols.len() > 32 {
                    return Err("an index needs 1 to 32 columns".into());
                }
                let name = name.clone().unwrap_or_else(|| db.default_index_name(t, &cols));
                if db.indexes.iter().any(|i| i.name == name) {
                    return Err(format!("relation \"{name}\" already exists"));
                }
                if *unique {
                    let mut keys: Vec<Vec<i64>> = (0..db.tables[t].rows).map(|r| cols.iter().map(|&c| db.tables[t].data[c][r]).collect()).collect();
                    keys.sort_unstable();
                    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1] && !w[0].contains(&crate::catalog::NULL)) {
                        let vals: Vec<String> = cols.iter().zip(&w[0]).map(|(&c, &v)| db.tables[t].columns[c].literal(v)).collect();
                        return Err(format!("could not create unique index \"{name}\": Key ({})=({}) is duplicated.", columns.join(", "), vals.join(", ")));
                    }
                }
                db.add_index(name, t, cols, *unique);
                Ok(())
            }
            PlanCommand::DropIndex { name } => {
                let i = db.indexes.iter().position(|i| &i.name == name).ok_or_else(|| format!("index \"{name}\" does not exist"))?;
                db.indexes.remove(i);
                Ok(())
            }
            PlanCommand::CreateStatistics { name, table: tn, columns, kinds } => {
                let t = table(db, tn)?;
                let cols = columns.iter().map(|c| column(db, t, c)).collect::<Result<Vec<_>, _>>()?;
                if cols.len() < 2 {
                    return Err("extended statistics require at least 2 columns".into());
                }
                if db.ext.iter().any(|(e, _)| &e.name == name) {
                    return Err(format!("statistics object \"{name}\" already exists"));
                }
                db.ext.push((crate::catalog::ExtStats { name: name.clone(), table: t, columns: cols, kinds: kinds.clone() }, Default::default()));
                Ok(())
            }
            PlanCommand::DropStatistics { name } => {
                let i = db.ext.iter().position(|(e, _)| &e.name == name).ok_or_else(|| format!("statistics object \"{name}\" does not exist"))?;
                db.ext.remove(i);
                Ok(())
            }
            PlanCommand::Analyze { table: tn } => {
                match tn {
                    Some(tn) => {
                        let t = table(db, tn)?;
                        db.analyze(t);
                    }
                    None => (0..db.tables.len()).for_each(|t| db.analyze(t)),
                }
                Ok(())
            }
            PlanCommand::SetStatistics { table: tn, column: cn, target } => {
                let t = table(db, tn)?;
                let c = column(db, t, cn)?;
                if *target > 10_000 {
                    return Err(format!("statistics target {target} is too high (at most 10000)"));
                }
                db.tables[t].targets[c] = Some(*target);
                Ok(())
            }
        }
    }
}
