//! A realistic demo province in one call: 20 departments and 10 districts, a user for every
//! role, the bundled 2019 sets, a published 2018 round and a 2019 round in appraisal with
//! scores, notes and evidence. In 2019 Sở Khoa học và Công nghệ ends at 86.8 points, 4th of 20
//! departments averaging 84.73 — the source article's figures.

use crate::evidence::{Attach, EvidenceStore, Stage};
use crate::rounds::Phase;
use crate::sheets::{AppraisalRound, EntryKey, SheetState};
use crate::time::Timestamp;
use crate::units::UnitFields;
use crate::users::{Role, UserFields};
use crate::{Actor, Db, Error, Result};
use parindex_core::locale::Locale;
use parindex_core::rules::{Rule, Score};
use parindex_core::sample::fit_declared;
use parindex_core::set::CriteriaSet;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The bundled criteria sets' TOML texts (with file names for messages).
pub struct DemoSets<'a> {
    pub department: (&'a str, &'a str),
    pub district: (&'a str, &'a str),
}

/// A demo account to print for the person trying the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub who: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub accounts: Vec<DemoAccount>,
    pub units: usize,
    pub entries: usize,
    pub evidence: usize,
}

const DEPARTMENTS: [(&str, &str, &str, &str); 20] = [
    // code, name, 2019 total, 2018 total
    ("stc", "Sở Tài chính", "92.93", "91.2"),
    ("sxd", "Sở Xây dựng", "91.33", "88.64"),
    ("stttt", "Sở Thông tin và Truyền thông", "90.04", "89.9"),
    ("skhcn", "Sở Khoa học và Công nghệ", "86.8", "86.6"),
    ("stp", "Sở Tư pháp", "86.6", "87.3"),
    ("vpubnd", "Văn phòng UBND tỉnh", "86.2", "84.1"),
    ("snv", "Sở Nội vụ", "85.8", "86.5"),
    ("skhdt", "Sở Kế hoạch và Đầu tư", "85.4", "83.25"),
    ("ttt", "Thanh tra tỉnh", "85", "85.7"),
    ("sgtvt", "Sở Giao thông vận tải", "84.6", "82.4"),
    ("sct", "Sở Công thương", "84.2", "83.8"),
    ("syt", "Sở Y tế", "83.8", "81.9"),
    (
        "snnptnt",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "83.4",
        "84.6",
    ),
    ("sgddt", "Sở Giáo dục và Đào tạo", "83", "80.75"),
    (
        "sldtbxh",
        "Sở Lao động, Thương binh và Xã hội",
        "82.6",
        "82.9",
    ),
    ("stnmt", "Sở Tài nguyên và Môi trường", "82.2", "79.8"),
    ("sngv", "Sở Ngoại vụ", "81.8", "81.2"),
    ("svhttdl", "Sở Văn hóa, Thể thao và Du lịch", "81.4", "80.1"),
    ("bdt", "Ban Dân tộc", "81", "78.6"),
    ("bqlkcn", "Ban Quản lý các khu công nghiệp", "76.5", "77.4"),
];

const DISTRICTS: [(&str, &str, &str, &str); 10] = [
    ("vinhyen", "Thành phố Vĩnh Yên", "91.2", "89.75"),
    ("phucyen", "Thành phố Phúc Yên", "89.5", "90.1"),
    ("binhxuyen", "Huyện Bình Xuyên", "88.1", "86.3"),
    ("yenlac", "Huyện Yên Lạc", "86.4", "85.2"),
    ("vinhtuong", "Huyện Vĩnh Tường", "85", "83.9"),
    ("tamduong", "Huyện Tam Dương", "83.7", "84.4"),
    ("tamdao", "Huyện Tam Đảo", "82.2", "80.6"),
    ("lapthach", "Huyện Lập Thạch", "80.9", "79.3"),
    ("songlo", "Huyện Sông Lô", "78.5", "77.8"),
    ("melinh", "Huyện Mê Linh", "74.3", "75.9"),
];

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// A small but valid PDF whose text names the document, so every unit's evidence differs.
fn pdf(title: &str) -> Vec<u8> {
    let ascii: String = parindex_core::text::fold(title)
        .chars()
        .filter(|c| c.is_ascii() && *c != '(' && *c != ')')
        .collect();
    let content = format!("BT /F1 12 Tf 72 720 Td ({ascii}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// One unit's values for a round: the final declaration per sub-criterion, and where the unit
/// claimed more in its self-assessment than the appraisers accepted.
struct Plan {
    finals: Vec<String>,
    claims: Vec<Option<String>>,
}

/// A declaration worth more than `value` under the rule, when there is one (the inflated claim).
fn better_claim(rule: &Rule, value: &str) -> Option<String> {
    match rule {
        Rule::Binary if parindex_core::text::fold(value) == "khong" => Some("có".into()),
        Rule::Timeliness { .. } if value == "tre_han" => Some("dung_han".into()),
        _ => None,
    }
}

fn plan(set: &CriteriaSet, total: Decimal, seed: u64) -> Result<Plan> {
    let finals = fit_declared(set, total, seed).ok_or_else(|| {
        Error::invalid(
            "demo",
            format!("không tạo được dữ liệu mẫu cho tổng {total}"),
            format!("no demo data fits the total {total}"),
        )
    })?;
    let mut claims = vec![None; finals.len()];
    let mut inflated = 0;
    for (pos, &i) in set.leaves().iter().enumerate() {
        if let Some(rule) = &set.nodes[i].rule
            && inflated < 2
            && let Some(claim) = better_claim(rule, &finals[pos])
        {
            claims[pos] = Some(claim);
            inflated += 1;
        }
    }
    Ok(Plan { finals, claims })
}

fn points(set: &CriteriaSet, pos: usize, value: &str, level: Option<&str>) -> Decimal {
    let node = &set.nodes[set.leaves()[pos]];
    match node
        .rule
        .as_ref()
        .map(|r| r.score(value, node.max_for(level), node.allow_na))
    {
        Some(Ok(Score::Points(p))) => p,
        _ => Decimal::ZERO,
    }
}

/// How far a unit's 2019 sheet has gone; 2018 sheets all go to the end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Appraisal1,
    Explanation,
    Appraisal2,
    Approved,
}

struct Ctx<'a> {
    db: &'a Db,
    evidence: &'a EvidenceStore,
    secretariat: Actor,
    appraiser: Actor,
    entries: usize,
    files: usize,
}

impl Ctx<'_> {
    async fn step(&self, year: i32, unit: &str, to: SheetState, by: &Actor) -> Result<()> {
        let sheet = self.db.sheet(year, unit).await?;
        self.db
            .transition(year, unit, sheet.version, to, by)
            .await?;
        Ok(())
    }

    /// Takes one sheet from not started to `stop` (or to approved for a finished round).
    async fn fill(
        &mut self,
        year: i32,
        unit: &str,
        name: &str,
        set: &CriteriaSet,
        plan: &Plan,
        stop: Stop,
    ) -> Result<()> {
        let officer = Actor::new(format!("canbo.{unit}"));
        self.step(year, unit, SheetState::SelfAssessing, &officer)
            .await?;
        let level = set.levels.first().map(String::as_str);
        for (pos, &i) in set.leaves().iter().enumerate() {
            let node = &set.nodes[i];
            let code = node.code.to_string();
            let Some(rule) = &node.rule else { continue };
            if rule.is_survey() {
                continue;
            }
            let value = plan.claims[pos].as_deref().unwrap_or(&plan.finals[pos]);
            let note = match node.evidence.as_deref() {
                Some(ev) if pos % 3 == 0 => format!("Kèm theo: {ev}"),
                _ => String::new(),
            };
            self.db
                .save_self_assessment(&EntryKey::new(year, unit, &code), 0, value, &note, &officer)
                .await?;
            self.entries += 1;
            if pos % 9 == 0 && node.evidence.is_some() {
                let title = format!("{name} - {code} - {}", node.title);
                let bytes = pdf(&title);
                let file_name = format!("{unit}-{year}-{}.pdf", code.replace('.', "-"));
                let attach = Attach {
                    year,
                    unit,
                    code: Some(&code),
                    proposal: None,
                    stage: Stage::SelfAssessment,
                };
                self.evidence
                    .put(
                        self.db,
                        &attach,
                        &file_name,
                        "tr. 1–2",
                        bytes.as_slice(),
                        &officer,
                    )
                    .await?;
                self.files += 1;
            }
        }
        self.step(year, unit, SheetState::Submitted, &officer)
            .await?;
        self.step(year, unit, SheetState::Appraisal1, &self.secretariat)
            .await?;
        let mut adjusted = Vec::new();
        for (pos, &i) in set.leaves().iter().enumerate() {
            let node = &set.nodes[i];
            let code = node.code.to_string();
            let survey = node.rule.as_ref().is_some_and(Rule::is_survey);
            if !survey && plan.claims[pos].is_none() {
                continue;
            }
            let key = EntryKey::new(year, unit, &code);
            let version = self.db.entry(&key).await?.version;
            let p = points(set, pos, &plan.finals[pos], level);
            let note = if survey {
                format!(
                    "Theo kết quả điều tra xã hội học năm {year}: {}%",
                    plan.finals[pos]
                )
            } else {
                adjusted.push(code.clone());
                "Tài liệu kiểm chứng chưa chứng minh được nội dung kê khai; chấm lại theo thực tế"
                    .to_string()
            };
            self.db
                .save_appraisal(
                    &key,
                    AppraisalRound::First,
                    version,
                    p,
                    &note,
                    &self.appraiser,
                )
                .await?;
            self.entries += 1;
        }
        if stop == Stop::Appraisal1 {
            return Ok(());
        }
        self.step(
            year,
            unit,
            SheetState::ExplanationRequested,
            &self.secretariat,
        )
        .await?;
        if stop == Stop::Explanation {
            return Ok(());
        }
        for code in &adjusted {
            let key = EntryKey::new(year, unit, code);
            let version = self.db.entry(&key).await?.version;
            let text = "Đơn vị đã thực hiện đầy đủ; bổ sung văn bản kèm theo để chứng minh.";
            self.db
                .save_explanation(&key, version, text, &officer)
                .await?;
        }
        self.step(year, unit, SheetState::ExplanationSubmitted, &officer)
            .await?;
        self.step(year, unit, SheetState::Appraisal2, &self.secretariat)
            .await?;
        for (pos, &i) in set.leaves().iter().enumerate() {
            let code = set.nodes[i].code.to_string();
            if !adjusted.contains(&code) {
                continue;
            }
            let key = EntryKey::new(year, unit, &code);
            let version = self.db.entry(&key).await?.version;
            let p = points(set, pos, &plan.finals[pos], level);
            let note = "Giữ nguyên kết quả thẩm định lần 1: văn bản bổ sung ban hành sau thời hạn.";
            self.db
                .save_appraisal(
                    &key,
                    AppraisalRound::Second,
                    version,
                    p,
                    note,
                    &self.appraiser,
                )
                .await?;
            self.entries += 1;
        }
        if stop == Stop::Appraisal2 {
            return Ok(());
        }
        self.step(year, unit, SheetState::Approved, &self.secretariat)
            .await
    }
}

/// Seeds an empty database with the demo province. `hash` turns a password into the stored hash
/// (the web layer's argon2id); `progress` hears what is being done.
pub async fn seed_demo(
    db: &Db,
    evidence: &EvidenceStore,
    sets: DemoSets<'_>,
    hash: &dyn Fn(&str) -> String,
    progress: &mut dyn FnMut(&str),
) -> Result<DemoSummary> {
    if !db.units().await?.is_empty() {
        return Err(Error::invalid(
            "database",
            "cơ sở dữ liệu đã có dữ liệu: dữ liệu mẫu chỉ nạp vào cơ sở dữ liệu trống",
            "the database already holds data: the demo loads only into an empty database",
        ));
    }
    let system = Actor::new("system:demo");
    progress("units");
    for (code, name, _, _) in DEPARTMENTS {
        let fields = UnitFields {
            name: name.into(),
            group: "so".into(),
            level: Some("so".into()),
            ..Default::default()
        };
        db.create_unit(code, &fields, &system).await?;
    }
    for (code, name, _, _) in DISTRICTS {
        let fields = UnitFields {
            name: name.into(),
            group: "huyen".into(),
            level: Some("huyen".into()),
            ..Default::default()
        };
        db.create_unit(code, &fields, &system).await?;
    }

    progress("users");
    let mut accounts = Vec::new();
    struct Person {
        username: String,
        display: String,
        unit: Option<&'static str>,
        roles: Vec<Role>,
        who: &'static str,
    }
    let person = |username: &str,
                  display: &str,
                  unit: Option<&'static str>,
                  role: Role,
                  who: &'static str| Person {
        username: username.to_string(),
        display: display.to_string(),
        unit,
        roles: vec![role],
        who,
    };
    let mut all = vec![
        person(
            "sonoivu",
            "Phòng Cải cách hành chính, Sở Nội vụ",
            None,
            Role::Secretariat,
            "thư ký (Sở Nội vụ)",
        ),
        person(
            "thamdinh",
            "Tổ thẩm định liên ngành",
            None,
            Role::Appraiser,
            "thẩm định viên (mọi lĩnh vực)",
        ),
        person(
            "thamdinh.tuphap",
            "Thẩm định viên Sở Tư pháp",
            None,
            Role::Appraiser,
            "thẩm định viên (lĩnh vực 2)",
        ),
        person(
            "lanhdao",
            "Lãnh đạo UBND tỉnh",
            None,
            Role::Leader,
            "lãnh đạo (chỉ xem)",
        ),
    ];
    for (code, name) in DEPARTMENTS
        .iter()
        .map(|u| (u.0, u.1))
        .chain(DISTRICTS.iter().map(|u| (u.0, u.1)))
    {
        all.push(person(
            &format!("canbo.{code}"),
            &format!("Cán bộ CCHC, {name}"),
            Some(code),
            Role::UnitOfficer,
            "cán bộ đơn vị",
        ));
    }
    for p in &all {
        let password = format!("demo-{}", p.username.replace('.', "-"));
        let fields = UserFields {
            display_name: p.display.clone(),
            email: None,
            unit: p.unit.map(str::to_string),
            locale: Locale::Vi,
            roles: p.roles.clone(),
        };
        db.create_user(&p.username, &fields, &hash(&password), &system)
            .await?;
        if !p.username.starts_with("canbo.")
            || p.username == "canbo.skhcn"
            || p.username == "canbo.vinhyen"
        {
            accounts.push(DemoAccount {
                username: p.username.clone(),
                password,
                who: p.who.to_string(),
            });
        }
    }

    let dept_set = parindex_core::set::parse_set(sets.department.0, sets.department.1)?;
    let dist_set = parindex_core::set::parse_set(sets.district.0, sets.district.1)?;
    let mut ctx = Ctx {
        db,
        evidence,
        secretariat: Actor::new("sonoivu"),
        appraiser: Actor::new("thamdinh"),
        entries: 0,
        files: 0,
    };
    for year in [2018, 2019] {
        progress(&format!("round {year}"));
        db.create_round(
            year,
            &format!("Xác định Chỉ số cải cách hành chính năm {year}"),
            &ctx.secretariat,
        )
        .await?;
        db.put_criteria_set(year, sets.department.0, sets.department.1, &ctx.secretariat)
            .await?;
        db.put_criteria_set(year, sets.district.0, sets.district.1, &ctx.secretariat)
            .await?;
        for area in 1..=9 {
            for group in ["so", "huyen"] {
                db.assign_area("thamdinh", year, group, &area.to_string(), &ctx.secretariat)
                    .await?;
            }
        }
        for group in ["so", "huyen"] {
            db.assign_area("thamdinh.tuphap", year, group, "2", &ctx.secretariat)
                .await?;
        }
        // Deadlines: 2018's as they were; 2019's ahead of today, so the demo can be worked in.
        let day = 86_400_000;
        let now = Timestamp::now().millis();
        for (k, phase) in Phase::ALL.into_iter().enumerate() {
            let due = if year == 2018 {
                Timestamp::parse_rfc3339(&format!("2019-0{}-10T17:00:00Z", k + 1))
            } else {
                Some(Timestamp::from_millis(now + (k as i64 + 1) * 14 * day))
            };
            db.set_deadline(year, phase, due, &ctx.secretariat).await?;
        }
        db.open_round(year, &ctx.secretariat).await?;
        for (set, units) in [(&dept_set, &DEPARTMENTS[..]), (&dist_set, &DISTRICTS[..])] {
            for (n, (code, name, total_2019, total_2018)) in units.iter().enumerate() {
                progress(&format!("{year} {name}"));
                let total = d(if year == 2019 { total_2019 } else { total_2018 });
                let plan = plan(set, total, year as u64 * 1000 + n as u64)?;
                let stop = match (year, n % 4) {
                    (2018, _) => Stop::Approved,
                    (_, 0) => Stop::Appraisal2,
                    (_, 1) => Stop::Explanation,
                    _ => Stop::Appraisal1,
                };
                ctx.fill(year, code, name, set, &plan, stop).await?;
            }
        }
        if year == 2018 {
            progress("publish 2018");
            let publisher = Actor::new("sonoivu")
                .because("Quyết định số 1185/QĐ-UBND ngày 20/4/2019 của UBND tỉnh");
            for computed in db.round_results(2018).await? {
                for group in &computed.set.groups {
                    db.publish(&computed.results, &group.code, &publisher)
                        .await?;
                }
            }
            for (code, ..) in DEPARTMENTS.iter().chain(DISTRICTS.iter()) {
                ctx.step(2018, code, SheetState::Published, &ctx.secretariat)
                    .await?;
            }
            db.close_round(2018, &ctx.secretariat).await?;
        }
    }
    progress("portal");
    seed_portal(db, &ctx.secretariat).await?;
    Ok(DemoSummary {
        accounts,
        units: DEPARTMENTS.len() + DISTRICTS.len(),
        entries: ctx.entries,
        evidence: ctx.files,
    })
}

/// The portal's demo content: categories, news (one hot, two featured), this week's calendar and
/// a few linked websites, so `serve --demo` shows a living portal.
async fn seed_portal(db: &Db, by: &Actor) -> Result<()> {
    use crate::portal::{EventInput, NewsInput};
    for (code, name) in [
        ("tin-cchc", "Tin cải cách hành chính"),
        ("thong-bao", "Thông báo"),
        ("van-ban", "Văn bản chỉ đạo"),
    ] {
        db.put_category(code, name, by).await?;
    }
    let now = Timestamp::now();
    let day = 86_400;
    let news = [
        (
            "tin-cchc",
            "Công bố Chỉ số cải cách hành chính năm 2018 của các sở, ban, ngành và UBND cấp huyện",
            "UBND tỉnh công bố kết quả xác định Chỉ số CCHC năm 2018 theo Quyết định số 1185/QĐ-UBND.",
            "<p>Ngày 20/4/2019, UBND tỉnh ban hành <strong>Quyết định số 1185/QĐ-UBND</strong> công bố Chỉ số cải cách hành chính năm 2018.</p><p>Kết quả được công khai trên Cổng thông tin để người dân và doanh nghiệp theo dõi.</p>",
            true,
            true,
            -30,
        ),
        (
            "thong-bao",
            "Thông báo lịch thẩm định Chỉ số CCHC năm 2019",
            "Hội đồng thẩm định làm việc với các đơn vị theo lịch công tác tuần.",
            "<p>Sở Nội vụ thông báo lịch thẩm định kết quả tự đánh giá năm 2019. Các đơn vị chuẩn bị tài liệu kiểm chứng đầy đủ.</p>",
            false,
            true,
            -7,
        ),
        (
            "tin-cchc",
            "Đồng Nai và các tỉnh chia sẻ kinh nghiệm cải cách thủ tục hành chính",
            "Đoàn công tác trao đổi kinh nghiệm về một cửa liên thông và dịch vụ công trực tuyến.",
            "<p>Đoàn công tác của tỉnh đã làm việc tại Đồng Nai, tìm hiểu mô hình bộ phận một cửa hiện đại và dịch vụ công trực tuyến mức độ 4.</p>",
            false,
            false,
            -3,
        ),
        (
            "van-ban",
            "Kế hoạch khảo sát sự hài lòng của người dân (SIPAS) năm 2019",
            "Kế hoạch đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính.",
            "<p>Khảo sát được thực hiện tại bộ phận một cửa các cấp, với phiếu giấy và phiếu trực tuyến.</p>",
            true,
            false,
            -1,
        ),
    ];
    for (category, title, summary, body, hot, featured, days) in news {
        let input = NewsInput {
            category: category.into(),
            title: title.into(),
            summary: summary.into(),
            body_html: body.into(),
            hot,
            featured,
            published_at: Some(now.plus_seconds(days * day)),
        };
        db.create_news(&input, by).await?;
    }
    // This week's work calendar, around today.
    for (offset_hours, title, location, chair) in [
        (
            -20,
            "Họp Hội đồng thẩm định Chỉ số CCHC năm 2019",
            "Phòng họp số 1, Sở Nội vụ",
            "Giám đốc Sở Nội vụ",
        ),
        (
            2,
            "Làm việc với Sở Khoa học và Công nghệ về kết quả tự đánh giá",
            "Sở Khoa học và Công nghệ",
            "Phó Giám đốc Sở Nội vụ",
        ),
        (
            26,
            "Kiểm tra công tác cải cách hành chính tại UBND huyện",
            "UBND huyện",
            "Trưởng phòng CCHC",
        ),
    ] {
        let starts = now.plus_seconds(offset_hours * 3600);
        db.add_event(
            &EventInput {
                starts_at: Some(starts),
                ends_at: Some(starts.plus_seconds(2 * 3600)),
                title: title.into(),
                location: location.into(),
                chair: chair.into(),
                participants: "Các thành viên Hội đồng".into(),
            },
            by,
        )
        .await?;
    }
    for (n, (title, url)) in [
        ("Cổng Dịch vụ công quốc gia", "https://dichvucong.gov.vn"),
        ("Bộ Nội vụ", "https://moha.gov.vn"),
        ("Cổng thông tin điện tử Chính phủ", "https://chinhphu.vn"),
    ]
    .into_iter()
    .enumerate()
    {
        db.put_link(title, url, n as i64, by).await?;
    }
    Ok(())
}
