//! The running sufficient statistics of a survey: per unit × segment × bucket, the answer-code
//! counts of every item, the respondents' per-element tally sums and cross-products (core's
//! `UnitStats`) and the expectation counts; how one response contributes, how rows are encoded,
//! read and updated, and the quality flags a response carries.

use crate::db::{Q, Row, Tx, placeholder, q};
use crate::{Error, Result};
use parindex_core::questionnaire::{QuestionKind, Questionnaire};
use parindex_core::survey_stats::{ElementTally, ItemCounts, SCALE, UnitStats};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Positions derived from the questionnaire: which element each item belongs to, the profile
/// questions and the expectation areas and options, all in questionnaire order (the order the
/// raw answers are stored in).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Element index (0-based, questionnaire order) of each item.
    pub item_element: Vec<usize>,
    pub item_codes: Vec<String>,
    pub item_index: HashMap<String, usize>,
    pub elements: usize,
    pub profile: Vec<ProfileSlot>,
    pub profile_index: HashMap<String, usize>,
    pub areas: Vec<String>,
    pub area_index: HashMap<String, usize>,
    pub options: Vec<String>,
    /// The other questions that take an answer (notes left out), questionnaire order.
    pub others: Vec<(String, QuestionKind, bool)>,
    pub other_index: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct ProfileSlot {
    pub code: String,
    pub multiple: bool,
    pub required: bool,
    pub options: Vec<String>,
}

impl Layout {
    pub(crate) fn new(q: &Questionnaire) -> Layout {
        let element_pos: HashMap<u32, usize> = q
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code, i))
            .collect();
        let item_element = q
            .items
            .iter()
            .map(|i| element_pos.get(&i.element).copied().unwrap_or(0))
            .collect();
        let item_codes: Vec<String> = q.items.iter().map(|i| i.code.clone()).collect();
        let item_index = item_codes
            .iter()
            .enumerate()
            .map(|(k, c)| (c.clone(), k))
            .collect();
        let profile: Vec<ProfileSlot> = q
            .profile
            .iter()
            .map(|p| ProfileSlot {
                code: p.code.clone(),
                multiple: p.multiple,
                required: p.required,
                options: p.options.iter().map(|o| o.code.clone()).collect(),
            })
            .collect();
        let profile_index = profile
            .iter()
            .enumerate()
            .map(|(k, p)| (p.code.clone(), k))
            .collect();
        let (areas, options) = match &q.expectations {
            Some(x) => (
                x.areas.iter().map(|a| a.code.clone()).collect(),
                x.options.iter().map(|o| o.code.clone()).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let area_index = areas
            .iter()
            .enumerate()
            .map(|(k, c): (usize, &String)| (c.clone(), k))
            .collect();
        let others: Vec<(String, QuestionKind, bool)> = q
            .questions
            .iter()
            .filter(|x| x.kind != QuestionKind::Note)
            .map(|x| (x.code.clone(), x.kind, x.required))
            .collect();
        let other_index = others
            .iter()
            .enumerate()
            .map(|(k, (c, _, _))| (c.clone(), k))
            .collect();
        Layout {
            others,
            other_index,
            item_element,
            item_codes,
            item_index,
            elements: q.elements.len(),
            profile,
            profile_index,
            areas,
            area_index,
            options,
        }
    }
}

/// One quality flag of a response. Any flag sends a response to quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Completed faster than the survey's threshold.
    TooFast,
    /// Every scale answer the same.
    StraightLine,
    /// Its invitation token was presented again after it had been used.
    ReusedToken,
    /// One of too many responses from one device within the window.
    BurstDevice,
    /// One of too many responses from one source (network address) within the window.
    BurstSource,
}

impl Flag {
    pub const ALL: [Flag; 5] = [
        Flag::TooFast,
        Flag::StraightLine,
        Flag::ReusedToken,
        Flag::BurstDevice,
        Flag::BurstSource,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::TooFast => "too_fast",
            Flag::StraightLine => "straight_line",
            Flag::ReusedToken => "reused_token",
            Flag::BurstDevice => "burst_device",
            Flag::BurstSource => "burst_source",
        }
    }
    pub fn parse(s: &str) -> Option<Flag> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            Flag::TooFast => "trả lời quá nhanh",
            Flag::StraightLine => "chọn cùng một mức cho mọi tiêu chí",
            Flag::ReusedToken => "mã khảo sát bị dùng lại",
            Flag::BurstDevice => "nhiều phiếu dồn dập từ một thiết bị",
            Flag::BurstSource => "nhiều phiếu dồn dập từ một địa chỉ mạng",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Flag::TooFast => "completed too fast",
            Flag::StraightLine => "straight-lined",
            Flag::ReusedToken => "token presented again",
            Flag::BurstDevice => "burst from one device",
            Flag::BurstSource => "burst from one source",
        }
    }
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    pub fn empty() -> Flags {
        Flags(0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn contains(self, f: Flag) -> bool {
        self.0 & f.bit() != 0
    }
    pub fn insert(&mut self, f: Flag) {
        self.0 |= f.bit();
    }
    pub fn with(mut self, f: Flag) -> Flags {
        self.insert(f);
        self
    }
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }
    /// `too_fast,straight_line` (empty when none).
    pub fn to_text(self) -> String {
        self.iter().map(Flag::as_str).collect::<Vec<_>>().join(",")
    }
    pub fn parse(text: &str) -> Option<Flags> {
        let mut f = Flags::empty();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            f.insert(Flag::parse(part)?);
        }
        Some(f)
    }
}

impl Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The statistics of one unit × segment × bucket: item answer counts (questionnaire order), the
/// per-element tally sums and cross-products, and the expectation counts (area × option).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub items: Vec<ItemCounts>,
    pub stats: UnitStats,
    /// `areas × options` counts, area-major.
    pub expectations: Vec<u64>,
}

impl Tally {
    pub(crate) fn new(layout: &Layout) -> Tally {
        Tally {
            items: vec![ItemCounts::default(); layout.item_codes.len()],
            stats: UnitStats::new(layout.elements),
            expectations: vec![0; layout.areas.len() * layout.options.len()],
        }
    }

    pub fn respondents(&self) -> u64 {
        self.stats.respondents
    }

    /// Adds one response: its answers per item (0: none) and its expectation option per area
    /// (option index + 1; 0: none).
    pub(crate) fn add(&mut self, layout: &Layout, answers: &[u8], expectations: &[u8]) {
        let mut tallies = [ElementTally::default(); 16];
        let mut heap;
        let tallies: &mut [ElementTally] = if layout.elements <= tallies.len() {
            &mut tallies[..layout.elements]
        } else {
            heap = vec![ElementTally::default(); layout.elements];
            &mut heap
        };
        for (i, &a) in answers.iter().enumerate() {
            self.items[i].add(a);
            tallies[layout.item_element[i]].add(a);
        }
        self.stats.add(tallies);
        let n_opt = layout.options.len();
        for (k, &o) in expectations.iter().enumerate() {
            if o > 0 && (o as usize) <= n_opt {
                self.expectations[k * n_opt + o as usize - 1] += 1;
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &Tally) {
        for (a, b) in self.items.iter_mut().zip(&other.items) {
            for k in 0..=SCALE {
                a.0[k] += b.0[k];
            }
        }
        self.stats.merge(&other.stats);
        for (a, b) in self.expectations.iter_mut().zip(&other.expectations) {
            *a += b;
        }
    }

    /// Takes `other` (a part of these statistics) away again.
    pub(crate) fn subtract(&mut self, other: &Tally) -> Result<()> {
        fn sub(a: &mut u64, b: u64) -> Result<()> {
            *a = a.checked_sub(b).ok_or_else(|| {
                Error::Corrupt("survey statistics would go below zero: run survey recompute".into())
            })?;
            Ok(())
        }
        for (a, b) in self.items.iter_mut().zip(&other.items) {
            for k in 0..=SCALE {
                sub(&mut a.0[k], b.0[k])?;
            }
        }
        sub(&mut self.stats.respondents, other.stats.respondents)?;
        for (a, b) in self.stats.sums.iter_mut().zip(&other.stats.sums) {
            sub(a, *b)?;
        }
        for (a, b) in self.stats.cross.iter_mut().zip(&other.stats.cross) {
            sub(a, *b)?;
        }
        for (a, b) in self.expectations.iter_mut().zip(&other.expectations) {
            sub(a, *b)?;
        }
        Ok(())
    }

    fn encode_items(&self) -> String {
        encode(self.items.iter().flat_map(|c| c.0.iter().copied()))
    }

    pub(crate) fn from_row(layout: &Layout, r: &Row) -> Result<Tally> {
        let mut t = Tally::new(layout);
        let items = decode(&r.text("items")?, t.items.len() * (SCALE + 1), "items")?;
        for (i, c) in t.items.iter_mut().enumerate() {
            c.0.copy_from_slice(&items[i * (SCALE + 1)..(i + 1) * (SCALE + 1)]);
        }
        t.stats.respondents = u64::try_from(r.i64("respondents")?)
            .map_err(|_| Error::Corrupt("negative respondents".into()))?;
        t.stats.sums = decode(&r.text("sums")?, t.stats.sums.len(), "sums")?;
        t.stats.cross = decode(
            &r.text("cross_products")?,
            t.stats.cross.len(),
            "cross_products",
        )?;
        t.expectations = decode(
            &r.text("expectations")?,
            t.expectations.len(),
            "expectations",
        )?;
        Ok(t)
    }
}

fn encode(values: impl Iterator<Item = u64>) -> String {
    let mut s = String::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{v}");
    }
    s
}

fn decode(text: &str, len: usize, what: &str) -> Result<Vec<u64>> {
    let mut out = Vec::with_capacity(len);
    for part in text.split(' ').filter(|p| !p.is_empty()) {
        out.push(
            part.parse::<u64>()
                .map_err(|_| Error::Corrupt(format!("survey_stats.{what}: '{part}'")))?,
        );
    }
    if out.len() != len {
        return Err(Error::Corrupt(format!(
            "survey_stats.{what}: {} numbers, {len} expected",
            out.len()
        )));
    }
    Ok(out)
}

/// The statistics bucket a status counts in (rejected responses count nowhere).
pub(crate) fn bucket_of(status: super::ResponseStatus) -> Option<&'static str> {
    match status {
        super::ResponseStatus::Accepted => Some("accepted"),
        super::ResponseStatus::Quarantined => Some("quarantined"),
        super::ResponseStatus::Rejected => None,
    }
}

/// The segments a response counts in: all (`""`), its service field (`field:<code>`), and each
/// profile option it chose (`profile:<question>=<option>`). Bounded by the settings' service
/// fields and the questionnaire's options.
pub(crate) fn segments(
    service_field: Option<&str>,
    profile_text: &str,
    layout: &Layout,
) -> Vec<String> {
    let mut out = vec![String::new()];
    if let Some(f) = service_field {
        out.push(format!("field:{f}"));
    }
    if !layout.profile.is_empty() {
        for (slot, chosen) in layout.profile.iter().zip(profile_text.split('|')) {
            for opt in chosen.split(' ').filter(|o| !o.is_empty()) {
                out.push(format!("profile:{}={opt}", slot.code));
            }
        }
    }
    out
}

/// Changes to apply to the stored statistics, keyed by (survey, unit, segment, bucket).
#[derive(Default)]
pub(crate) struct Deltas {
    pub add: BTreeMap<(i64, i64, String, &'static str), Tally>,
    pub sub: BTreeMap<(i64, i64, String, &'static str), Tally>,
}

impl Deltas {
    /// Counts a response in (`add`) or out of (`!add`) a bucket of every segment it belongs to.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn response(
        &mut self,
        layout: &Layout,
        survey_id: i64,
        unit_id: i64,
        bucket: &'static str,
        service_field: Option<&str>,
        profile_text: &str,
        answers: &[u8],
        expectations: &[u8],
        add: bool,
    ) {
        let map = if add { &mut self.add } else { &mut self.sub };
        for seg in segments(service_field, profile_text, layout) {
            map.entry((survey_id, unit_id, seg, bucket))
                .or_insert_with(|| Tally::new(layout))
                .add(layout, answers, expectations);
        }
    }

    /// Applies the changes: read, change and write each touched row. The caller holds the
    /// survey's lock (`lock_survey`) so no other writer changes these rows meanwhile.
    pub(crate) async fn apply(self, tx: &mut Tx, layouts: &HashMap<i64, &Layout>) -> Result<()> {
        let mut keys: Vec<&StatsKey> = self.add.keys().chain(self.sub.keys()).collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(());
        }
        let backend = tx.backend();
        // The touched rows as stored: one read per survey and chunk of units (a batch touches
        // a few rows of many units), only the wanted rows decoded.
        let wanted: std::collections::HashSet<&StatsKey> = keys.iter().copied().collect();
        let mut units: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (survey_id, unit_id, _, _) in &keys {
            let list = units.entry(*survey_id).or_default();
            if list.last() != Some(unit_id) {
                list.push(*unit_id);
            }
        }
        let mut stored: HashMap<StatsKey, Tally> = HashMap::new();
        for (survey_id, unit_ids) in &units {
            let layout = layouts
                .get(survey_id)
                .ok_or_else(|| Error::Corrupt("statistics of an unknown survey".into()))?;
            for chunk in unit_ids.chunks(STATS_CHUNK) {
                let mut sql = String::from(
                    "SELECT unit_id, segment, bucket, respondents, items, sums, cross_products, \
                     expectations FROM survey_stats WHERE survey_id = ",
                );
                placeholder(&mut sql, backend, 1);
                sql.push_str(" AND unit_id IN (");
                for k in 0..chunk.len() {
                    if k > 0 {
                        sql.push_str(", ");
                    }
                    placeholder(&mut sql, backend, k + 2);
                }
                sql.push(')');
                let mut stmt = Q::owned(sql).bind(*survey_id);
                for u in chunk {
                    stmt = stmt.bind(*u);
                }
                for row in tx.fetch_all(stmt).await? {
                    let bucket = match row.text("bucket")?.as_str() {
                        "accepted" => "accepted",
                        "quarantined" => "quarantined",
                        other => {
                            return Err(Error::Corrupt(format!("statistics bucket '{other}'")));
                        }
                    };
                    let key = (
                        *survey_id,
                        row.i64("unit_id")?,
                        row.text("segment")?,
                        bucket,
                    );
                    if wanted.contains(&key) {
                        let t = Tally::from_row(layout, &row)?;
                        stored.insert(key, t);
                    }
                }
            }
        }
        // The new values, written many rows per statement (insert, or update where the row
        // exists).
        let mut rows: Vec<(&StatsKey, Tally)> = Vec::with_capacity(keys.len());
        for key in keys {
            let layout = layouts
                .get(&key.0)
                .ok_or_else(|| Error::Corrupt("statistics of an unknown survey".into()))?;
            let mut t = stored.remove(key).unwrap_or_else(|| Tally::new(layout));
            if let Some(a) = self.add.get(key) {
                t.merge(a);
            }
            if let Some(s) = self.sub.get(key) {
                t.subtract(s)?;
            }
            rows.push((key, t));
        }
        for chunk in rows.chunks(STATS_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO survey_stats (survey_id, unit_id, segment, bucket, respondents, items, \
                 sums, cross_products, expectations) VALUES ",
            );
            let mut p = 1;
            for k in 0..chunk.len() {
                sql.push_str(if k > 0 { ", (" } else { "(" });
                for c in 0..9 {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    placeholder(&mut sql, backend, p);
                    p += 1;
                }
                sql.push(')');
            }
            sql.push_str(
                " ON CONFLICT (survey_id, unit_id, segment, bucket) DO UPDATE SET \
                 respondents = excluded.respondents, items = excluded.items, sums = excluded.sums, \
                 cross_products = excluded.cross_products, expectations = excluded.expectations",
            );
            let mut stmt = Q::owned(sql);
            for ((survey_id, unit_id, seg, bucket), t) in chunk {
                stmt = stmt
                    .bind(*survey_id)
                    .bind(*unit_id)
                    .bind(seg.as_str())
                    .bind(*bucket)
                    .bind(respondents(t)?)
                    .bind(t.encode_items())
                    .bind(encode(t.stats.sums.iter().copied()))
                    .bind(encode(t.stats.cross.iter().copied()))
                    .bind(encode(t.expectations.iter().copied()));
            }
            tx.execute(stmt).await?;
        }
        Ok(())
    }
}

/// The key of a statistics row: survey, unit, segment, bucket.
type StatsKey = (i64, i64, String, &'static str);

/// Units read, and rows written, per statement when applying a batch's changes (9 parameters a
/// row: 900, well under both backends' limits).
const STATS_CHUNK: usize = 100;

fn respondents(t: &Tally) -> Result<i64> {
    i64::try_from(t.stats.respondents).map_err(|_| Error::Corrupt("respondents overflow".into()))
}

/// Writes one statistics row (update when it exists, insert otherwise).
pub(crate) async fn write_row(
    tx: &mut Tx,
    survey_id: i64,
    unit_id: i64,
    segment: &str,
    bucket: &str,
    t: &Tally,
    exists: bool,
) -> Result<()> {
    let respondents = respondents(t)?;
    let sql: Q = if exists {
        q(
            "UPDATE survey_stats SET respondents = $5, items = $6, sums = $7, cross_products = $8, expectations = $9 \
           WHERE survey_id = $1 AND unit_id = $2 AND segment = $3 AND bucket = $4",
        )
    } else {
        q(
            "INSERT INTO survey_stats (survey_id, unit_id, segment, bucket, respondents, items, sums, cross_products, expectations) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
    };
    tx.execute(
        sql.bind(survey_id)
            .bind(unit_id)
            .bind(segment)
            .bind(bucket)
            .bind(respondents)
            .bind(t.encode_items())
            .bind(encode(t.stats.sums.iter().copied()))
            .bind(encode(t.stats.cross.iter().copied()))
            .bind(encode(t.expectations.iter().copied())),
    )
    .await?;
    Ok(())
}

/// Answers as stored: one digit per item in questionnaire order, `0` for no answer.
pub(crate) fn answers_text(answers: &[u8]) -> String {
    answers
        .iter()
        .map(|a| char::from(b'0' + a.min(&9)))
        .collect()
}

pub(crate) fn parse_answers(text: &str, items: usize) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() != items || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(Error::Corrupt(format!(
            "stored answers '{text}' do not match the questionnaire's {items} items"
        )));
    }
    Ok(bytes.iter().map(|b| b - b'0').collect())
}

/// Expectations as stored: the chosen option's code per area, `|`-separated (empty: none).
pub(crate) fn expectations_text(layout: &Layout, chosen: &[u8]) -> String {
    chosen
        .iter()
        .map(|&o| {
            if o == 0 {
                ""
            } else {
                layout.options[o as usize - 1].as_str()
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

pub(crate) fn parse_expectations(layout: &Layout, text: &str) -> Result<Vec<u8>> {
    if layout.areas.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = text.split('|').collect();
    if parts.len() != layout.areas.len() {
        return Err(Error::Corrupt(format!(
            "stored expectations '{text}' do not match the questionnaire"
        )));
    }
    parts
        .iter()
        .map(|p| {
            if p.is_empty() {
                Ok(0)
            } else {
                layout
                    .options
                    .iter()
                    .position(|o| o == p)
                    .map(|i| (i + 1) as u8)
                    .ok_or_else(|| Error::Corrupt(format!("stored expectation option '{p}'")))
            }
        })
        .collect()
}
