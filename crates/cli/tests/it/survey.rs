//! `parindex survey …` end to end on a SQLite database: create (TOML and XLSForm), tokens,
//! import with per-row errors and idempotent re-import, export (CSV, XLSX), recompute, report.

use crate::support::{parindex, root, write};
use parindex_store::units::UnitFields;
use parindex_store::{Actor, Db};

fn seed(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Db::open(url).await.unwrap();
        let a = Actor::new("test");
        db.create_round(2019, "Chỉ số CCHC năm 2019", &a)
            .await
            .unwrap();
        let set = std::fs::read_to_string(root().join("sets/so-2019.set.toml")).unwrap();
        db.put_criteria_set(2019, "so-2019.set.toml", &set, &a)
            .await
            .unwrap();
        for (code, name) in [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")] {
            let f = UnitFields {
                name: name.into(),
                group: "so".into(),
                level: Some("so".into()),
                ..Default::default()
            };
            db.create_unit(code, &f, &a).await.unwrap();
        }
        db.close().await;
    });
}

const ITEMS: [&str; 25] = [
    "1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3",
    "3.4", "3.5", "3.6", "4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "5.4", "5.5",
];

fn csv(rows: &[(&str, &str)]) -> String {
    let mut s = format!("unit,channel,{}\n", ITEMS.join(","));
    for (unit, first) in rows {
        let answers: Vec<String> = (0..25)
            .map(|k| {
                if k == 0 {
                    first.to_string()
                } else {
                    ((k % 5) + 1).to_string()
                }
            })
            .collect();
        s.push_str(&format!("{unit},paper,{}\n", answers.join(",")));
    }
    s
}

struct Env {
    dir: tempfile::TempDir,
    url: String,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("p.db").display());
        seed(&url);
        Env { dir, url }
    }
    fn run(&self, args: &[&str]) -> crate::support::Run {
        let data = self.dir.path().display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database-url", &self.url, "--data-dir", &data]);
        parindex(&all)
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

#[test]
fn a_survey_from_the_command_line() {
    let env = Env::new();
    let q = root()
        .join("sets/sipas-tinh-25.survey.toml")
        .display()
        .to_string();
    let r = env.run(&["survey", "create", "--year", "2019", "--questionnaire", &q]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sipas-tinh-25"), "{}", r.stdout);
    let s = ["--year", "2019", "--survey", "sipas-tinh-25"];
    let with = |cmd: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["survey".into()];
        v.extend(cmd.iter().map(|x| x.to_string()));
        v.extend(s.iter().map(|x| x.to_string()));
        v
    };
    let run = |cmd: &[&str]| {
        let v = with(cmd);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        env.run(&refs)
    };

    // Import, and the same file again.
    let good = write(
        env.dir.path(),
        "good.csv",
        csv(&[("SNV", "4"), ("SNV", "5"), ("STP", "2")]),
    );
    let r = run(&["import", &good]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["--locale", "en", "import", &good]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("imported 0") && r.stdout.contains("already there 3"),
        "{}",
        r.stdout
    );

    // Bad rows: each named with its line and column; nothing stored.
    let bad = write(
        env.dir.path(),
        "bad.csv",
        csv(&[("SNV", "4"), ("SNV", "9"), ("XYZ", "3")]),
    );
    let r = run(&["--locale", "en", "import", &bad]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("bad.csv:3, field 1.1"), "{}", r.stderr);
    assert!(r.stderr.contains("bad.csv:4, field unit"), "{}", r.stderr);
    assert!(r.stdout.contains("nothing stored"), "{}", r.stdout);
    let r = run(&["--locale", "en", "import", "--mode", "valid", &bad]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("imported 1"), "{}", r.stdout);
    let wrong = write(env.dir.path(), "wrong.csv", "unit,kenh\nSNV,paper\n");
    let r = run(&["--locale", "en", "import", &wrong]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("wrong.csv:1, field kenh"), "{}", r.stderr);

    // Export: CSV and XLSX.
    let out = env.path("out.csv");
    let r = run(&["export", "--format", "csv", "--out", &out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(
        text.starts_with("id,unit,channel,service_field,started_at,submitted_at,received_at,1.1,")
    );
    let xlsx = env.path("out.xlsx");
    let r = run(&["export", "--format", "xlsx", "--out", &xlsx]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    // The export imports back (into the same survey: a new batch, so four more responses).
    let r = run(&["import", &out]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Recompute finds nothing to repair; the report adds up.
    let r = run(&["--locale", "en", "recompute"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(": 0 differences"), "{}", r.stdout);
    let r = run(&["report", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let units = v["report"]["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(units[0]["unit"], "SNV");
    assert_eq!(units[0]["official"]["respondents"], 6);
    let r = run(&["--locale", "en", "report", "--segments"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Overall") && r.stdout.contains("SNV"),
        "{}",
        r.stdout
    );

    // Tokens and the sample plan.
    let tokens = env.path("tokens.csv");
    let r = run(&["tokens", "--unit", "SNV", "--count", "3", "--out", &tokens]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = std::fs::read_to_string(&tokens).unwrap();
    assert_eq!(t.lines().count(), 4);
    assert!(
        t.lines()
            .nth(1)
            .unwrap()
            .contains("/khao-sat/2019/sipas-tinh-25?ma=")
    );
    let r = run(&["plan", "--unit", "SNV", "--population", "1000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("286"), "{}", r.stdout);
    let r = run(&["state", "closed"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let late = write(env.dir.path(), "late.csv", csv(&[("SNV", "4")]));
    let r = run(&["--locale", "en", "import", &late]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("closed"), "{}", r.stderr);
}

/// A workbook from sheets of rows of text cells.
fn book(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_survey_from_an_xlsform() {
    let env = Env::new();
    let mut survey = vec![
        vec!["type", "name", "label", "label::English (en)", "required"],
        vec!["begin_group", "e1", "Tiếp cận", "Access", ""],
        vec!["select_one hl", "seats", "Đủ chỗ ngồi", "Seats", "yes"],
        vec!["end_group", "", "", "", ""],
        vec!["select_one gt", "gender", "Giới tính", "Gender", ""],
    ];
    let choices = vec![
        vec!["list_name", "name", "label"],
        vec!["hl", "1", "Rất không hài lòng"],
        vec!["hl", "2", "Không hài lòng"],
        vec!["hl", "3", "Bình thường"],
        vec!["hl", "4", "Hài lòng"],
        vec!["hl", "5", "Rất hài lòng"],
        vec!["gt", "male", "Nam"],
        vec!["gt", "female", "Nữ"],
    ];
    let settings = vec![
        vec!["form_id", "form_title"],
        vec!["sipas-xa", "Phiếu cấp xã"],
    ];
    let good = book(&[
        ("survey", survey.clone()),
        ("choices", choices.clone()),
        ("settings", settings.clone()),
    ]);
    let path = write(env.dir.path(), "xa.xlsx", good);
    let r = env.run(&[
        "survey",
        "create",
        "--year",
        "2019",
        "--questionnaire",
        &path,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sipas-xa"), "{}", r.stdout);

    survey.push(vec!["geopoint", "where", "Ở đâu", "Where", ""]);
    let bad = book(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ]);
    let path = write(env.dir.path(), "bad.xlsx", bad);
    let r = env.run(&[
        "--locale",
        "en",
        "survey",
        "create",
        "--year",
        "2019",
        "--questionnaire",
        &path,
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("cell survey!A6"), "{}", r.stderr);
    assert!(r.stderr.contains("geopoint"), "{}", r.stderr);
}
