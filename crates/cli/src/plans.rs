//! `parindex plans …`: a unit's action plan in the server's database — list, add, change a
//! task's status, suggest (and adopt) the planner's smallest plan, and next year's review.

use crate::server::{StoreArgs, cli_actor, store_failure};
use crate::{Failure, Outcome, block_on};
use clap::Subcommand;
use parindex_core::diag::{Location, Problem, Problems};
use parindex_core::locale::Locale;
use parindex_core::text::compare;
use parindex_store::plans::{Status, TaskInput, today};

#[derive(Subcommand)]
pub enum PlansCommand {
    /// Every unit's progress in a round, or one unit's tasks with --unit.
    List {
        year: i32,
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add a task to a unit's plan.
    Add {
        year: i32,
        unit: String,
        /// What will be done.
        #[arg(long)]
        remedy: String,
        /// A sub-criterion the task targets (repeatable).
        #[arg(long = "code", required = true)]
        codes: Vec<String>,
        #[arg(long)]
        division: String,
        #[arg(long)]
        owner: String,
        /// 2020-03-31 or 31/03/2020.
        #[arg(long)]
        deadline: String,
        #[arg(long)]
        effort: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Move a task to planned, in_progress, done or dropped.
    SetStatus {
        id: i64,
        status: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The planner's smallest plan for a target as tasks; with --adopt, add them to the plan.
    Suggest {
        year: i32,
        unit: String,
        /// next-class, class:LABEL, rank:N or points:X.
        #[arg(long)]
        target: String,
        #[arg(long)]
        adopt: bool,
        #[arg(long, default_value = "")]
        division: String,
        #[arg(long, default_value = "")]
        owner: String,
        #[arg(long, default_value = "")]
        deadline: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Whether the sub-criteria a plan targeted gained points the year after.
    Review {
        year: i32,
        unit: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn web_failure(e: parindex_web::Error) -> Failure {
    Failure(e.problems())
}

pub fn run(cmd: PlansCommand, locale: Locale) -> Outcome {
    block_on(async move {
        let l = |vi: &'static str, en: &'static str| locale.pick(vi, en);
        match cmd {
            PlansCommand::List { year, unit, store } => {
                let (_, db, _) = store.open().await?;
                db.round(year).await.map_err(store_failure)?;
                let day = today();
                match unit {
                    Some(unit) => {
                        db.unit(&unit).await.map_err(store_failure)?;
                        let tasks = db.tasks(year, &unit).await.map_err(store_failure)?;
                        if tasks.is_empty() {
                            say!("{}", l("Chưa có việc nào.", "No tasks yet."));
                        }
                        for t in tasks {
                            let overdue = if t.overdue(&day) {
                                l(" — QUÁ HẠN", " — OVERDUE")
                            } else {
                                ""
                            };
                            say!(
                                "#{} [{}] {} ({}) — {}: {} / {} — {}{overdue}",
                                t.id,
                                locale.pick(t.status.vi(), t.status.en()),
                                t.remedy,
                                t.codes.join(", "),
                                l("hạn", "due"),
                                t.deadline,
                                t.division,
                                t.owner
                            );
                        }
                    }
                    None => {
                        let mut all = db.plan_progress(year, &day).await.map_err(store_failure)?;
                        all.sort_by(|a, b| compare(&a.unit_name, &b.unit_name));
                        if all.is_empty() {
                            say!(
                                "{}",
                                l("Chưa đơn vị nào có kế hoạch.", "No unit has a plan yet.")
                            );
                        }
                        for p in all {
                            say!(
                                "{} ({}): {}/{} {}, {} {}",
                                p.unit_name,
                                p.unit,
                                p.done,
                                p.total,
                                l("việc xong", "tasks done"),
                                p.overdue,
                                l("quá hạn", "overdue")
                            );
                        }
                    }
                }
                Ok(())
            }
            PlansCommand::Add {
                year,
                unit,
                remedy,
                codes,
                division,
                owner,
                deadline,
                effort,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let input = TaskInput {
                    remedy,
                    codes,
                    division,
                    owner,
                    deadline,
                    effort,
                };
                let t = db
                    .add_task(year, &unit, &input, &cli_actor())
                    .await
                    .map_err(store_failure)?;
                say!("{} #{}", l("Đã thêm việc", "Added task"), t.id);
                Ok(())
            }
            PlansCommand::SetStatus { id, status, store } => {
                let status = Status::parse(&status).ok_or_else(|| {
                    Failure::from(Problem::new(
                        Location::default().with_field("STATUS"),
                        format!("trạng thái \"{status}\" không có: dùng planned, in_progress, done hoặc dropped"),
                        format!("no status \"{status}\": use planned, in_progress, done or dropped"),
                    ))
                })?;
                let (_, db, _) = store.open().await?;
                let t = db.task(id).await.map_err(store_failure)?;
                let t = db
                    .set_task_status(id, t.version, status, &cli_actor())
                    .await
                    .map_err(store_failure)?;
                say!("#{}: {}", t.id, locale.pick(t.status.vi(), t.status.en()));
                Ok(())
            }
            PlansCommand::Suggest {
                year,
                unit,
                target,
                adopt,
                division,
                owner,
                deadline,
                store,
            } => {
                let (_, db, _) = store.open().await?;
                let u = parindex_web::analysis::unit(&db, year, &unit)
                    .await
                    .map_err(web_failure)?;
                let target = u.target(&target).map_err(web_failure)?;
                let plan = u.plan(target, &Default::default()).map_err(web_failure)?;
                say!("{}", plan.message.pick(locale));
                let mut tasks = parindex_web::api::plans::suggestions(&u.group.set, &plan);
                for t in &tasks {
                    say!("- {} ({})", t.remedy, t.codes.join(", "));
                }
                if adopt {
                    if tasks.is_empty() {
                        return Err(Failure(Problems(vec![Problem::new(
                            Location::default().with_field("--target"),
                            "đơn vị đã đạt mục tiêu này: không có việc nào cần thêm",
                            "the unit already meets this target: there is nothing to add",
                        )])));
                    }
                    for t in &mut tasks {
                        t.division = division.clone();
                        t.owner = owner.clone();
                        t.deadline = deadline.clone();
                    }
                    let ids = db
                        .add_tasks(year, &unit, &tasks, &cli_actor())
                        .await
                        .map_err(store_failure)?;
                    say!(
                        "{} {}",
                        l("Đã thêm các việc", "Added tasks"),
                        ids.iter()
                            .map(|i| format!("#{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Ok(())
            }
            PlansCommand::Review { year, unit, store } => {
                let (_, db, _) = store.open().await?;
                let lines = db.plan_review(year, &unit).await.map_err(store_failure)?;
                if lines.is_empty() {
                    say!(
                        "{}",
                        l(
                            "Kế hoạch không nhắm tiêu chí nào.",
                            "The plan targets no sub-criterion."
                        )
                    );
                }
                let pts = |d: Option<rust_decimal::Decimal>| {
                    d.map(|d| locale.decimal(d, 2))
                        .unwrap_or_else(|| "—".into())
                };
                for line in lines {
                    let verdict = match line.improved() {
                        Some(true) => l("có cải thiện", "improved"),
                        Some(false) => l("không cải thiện", "not improved"),
                        None => l("chưa có số liệu năm sau", "no data for next year yet"),
                    };
                    say!(
                        "{}: {year} {} → {} {} — {verdict}",
                        line.code,
                        pts(line.before),
                        year + 1,
                        pts(line.after)
                    );
                }
                Ok(())
            }
        }
    })?
}
