//! `parindex results …`: published results reproduced, formats and locales.

use crate::support::{parindex, root, set_path, write};

/// The Vĩnh Phúc 2019 table as a parts scores file.
fn vinh_phuc_scores(dir: &std::path::Path) -> String {
    let mut reader =
        csv::Reader::from_path(root().join("fixtures/vinhphuc-2019-departments.csv")).unwrap();
    let mut out = String::from("unit,group,direct,survey\n");
    for r in reader.records() {
        let r = r.unwrap();
        out.push_str(&format!("\"{}\",so,{},{}\n", &r[1], &r[3], &r[4]));
    }
    write(dir, "vp.csv", out)
}

#[test]
fn reproduces_the_published_vinh_phuc_table() {
    let dir = tempfile::tempdir().unwrap();
    let scores = vinh_phuc_scores(dir.path());
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &scores,
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut got = csv::Reader::from_reader(run.stdout.as_bytes());
    let got: Vec<(String, String, String)> = got
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[1].to_string(), r[2].to_string(), r[8].to_string()))
        .collect();
    let mut want =
        csv::Reader::from_path(root().join("fixtures/vinhphuc-2019-departments.csv")).unwrap();
    let want: Vec<(String, String, String)> = want
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn vietnamese_table_uses_decimal_commas_and_english_points() {
    let dir = tempfile::tempdir().unwrap();
    let scores = vinh_phuc_scores(dir.path());
    let vi = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &scores,
    ]);
    assert_eq!(vi.code, 0, "{}", vi.stderr);
    assert!(vi.stdout.contains("Sở Tài chính"), "{}", vi.stdout);
    assert!(vi.stdout.contains("92,93"), "{}", vi.stdout);
    assert!(vi.stdout.contains("Xuất sắc"));
    assert!(vi.stdout.contains("Trung bình: 87,42"), "{}", vi.stdout);
    let en = parindex(&[
        "--locale",
        "en",
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &scores,
    ]);
    assert!(
        en.stdout.contains("92.93") && en.stdout.contains("Average: 87.42"),
        "{}",
        en.stdout
    );
    assert!(en.stdout.contains("Excellent"), "{}", en.stdout);
}

#[test]
fn previous_year_gives_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let scores = write(
        dir.path(),
        "s.csv",
        "unit,group,direct,survey\nA,so,60,30\nB,so,55,30\n",
    );
    let prev = write(dir.path(), "p.csv", "unit,total,rank\nA,88.5,2\nB,90,1\n");
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &scores,
        "--previous",
        &prev,
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("so,1,A,A,60.00,30.00,0.00,0.00,90.00,100,90.00,Xuất sắc,1.50,1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("so,2,B,B,55.00,30.00,0.00,0.00,85.00,100,85.00,Tốt,-5.00,-1"),
        "{}",
        run.stdout
    );
}

#[test]
fn declared_data_for_the_whole_set_scores_and_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample.csv").display().to_string();
    let run = parindex(&[
        "results",
        "sample",
        "--set",
        &set_path("so-2019.set.toml"),
        "--units",
        "20",
        "--out",
        &sample,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &sample,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let units = json["groups"][0]["units"].as_array().unwrap();
    assert_eq!(units.len(), 20);
    let mut last_rank = 0;
    for u in units {
        let rank = u["rank"].as_u64().unwrap();
        assert!(rank >= last_rank);
        last_rank = rank;
        let total: f64 = u["total"].as_str().unwrap().parse().unwrap();
        assert!(total > 0.0 && total <= 100.0, "{u}");
    }
    let xlsx = dir.path().join("r.xlsx").display().to_string();
    let run = parindex(&[
        "results",
        "compute",
        "--set",
        &set_path("so-2019.set.toml"),
        "--scores",
        &sample,
        "--format",
        "xlsx",
        "--out",
        &xlsx,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
}
