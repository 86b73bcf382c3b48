//! Small read caches for the busiest pages, one per application: a round (state, deadlines,
//! groups) for two seconds; the parsed criteria set of a group once its round is no longer a
//! draft (a set can change only while its round is a draft, and a round never goes back to
//! draft); and a sheet's entries and evidence under the sheet's version, which the store changes
//! in the same transaction as every change to the sheet, its entries, proposals and evidence, so
//! a version names one content; the portal home's news, calendar and links, and the results of a
//! round's closed surveys (which give survey-derived sub-criteria their points), for two seconds.
//! What a page shows of a round or the portal home may lag a change by two seconds;
//! every write still goes through the API, which reads the database.

use parindex_core::set::CriteriaSet;
use parindex_store::Db;
use parindex_store::evidence::Evidence;
use parindex_store::rounds::{Round, RoundState};
use parindex_store::sheets::{Entry, Proposal};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUND_TTL: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub(crate) struct Cache(Arc<Inner>);

#[derive(Default)]
struct Inner {
    rounds: Mutex<HashMap<i32, (Instant, Round)>>,
    sets: Mutex<HashMap<(i32, String), Arc<CriteriaSet>>>,
    sheets: Mutex<HashMap<(i32, String), Versioned>>,
    home: Mutex<Option<(Instant, Arc<PortalHome>)>>,
    survey: Mutex<HashMap<i32, (Instant, Arc<SurveyResults>)>>,
}

/// Per unit code, per indicator: the round's closed surveys' results (`Db::survey_results_for_index`).
pub(crate) type SurveyResults = BTreeMap<String, BTreeMap<String, Decimal>>;

/// What the portal home shows, as read from the store (formatted per request and language).
pub(crate) struct PortalHome {
    pub hot: Vec<parindex_store::portal::NewsItem>,
    pub featured: Vec<parindex_store::portal::NewsItem>,
    pub latest: Vec<parindex_store::portal::NewsItem>,
    pub monday: parindex_store::Timestamp,
    pub events: Vec<parindex_store::portal::Event>,
    pub links: Vec<parindex_store::portal::Link>,
}

/// A sheet's latest content seen, with the version it was read at.
type Versioned = (i64, Arc<SheetContent>);

/// What a sheet holds besides its own row: every sub-criterion and the evidence.
pub(crate) struct SheetContent {
    pub entries: Vec<Entry>,
    pub evidence: Vec<Evidence>,
    /// Bonus and penalty proposals, oldest first.
    pub proposals: Vec<Proposal>,
}

impl Cache {
    /// The portal home's content, at most two seconds old (five queries saved per view).
    pub fn home(&self) -> Option<Arc<PortalHome>> {
        let map = self.0.home.lock().ok()?;
        map.as_ref()
            .filter(|(at, _)| at.elapsed() < ROUND_TTL)
            .map(|(_, h)| h.clone())
    }

    pub fn keep_home(&self, home: Arc<PortalHome>) {
        if let Ok(mut h) = self.0.home.lock() {
            *h = Some((Instant::now(), home));
        }
    }

    /// The results of the round's closed surveys, at most two seconds old.
    pub async fn survey_results(
        &self,
        db: &Db,
        year: i32,
    ) -> parindex_store::Result<Arc<SurveyResults>> {
        if let Ok(map) = self.0.survey.lock()
            && let Some((at, r)) = map.get(&year)
            && at.elapsed() < ROUND_TTL
        {
            return Ok(r.clone());
        }
        let r = Arc::new(db.survey_results_for_index(year).await?);
        if let Ok(mut map) = self.0.survey.lock() {
            map.insert(year, (Instant::now(), r.clone()));
        }
        Ok(r)
    }

    /// The round, at most two seconds old.
    pub async fn round(&self, db: &Db, year: i32) -> parindex_store::Result<Round> {
        if let Ok(map) = self.0.rounds.lock()
            && let Some((at, r)) = map.get(&year)
            && at.elapsed() < ROUND_TTL
        {
            return Ok(r.clone());
        }
        let r = db.round(year).await?;
        if let Ok(mut map) = self.0.rounds.lock() {
            map.insert(year, (Instant::now(), r.clone()));
        }
        Ok(r)
    }

    /// The criteria set of a group in a round, kept once the round is past its draft.
    pub async fn set(
        &self,
        db: &Db,
        round: &Round,
        group: &str,
    ) -> parindex_store::Result<Arc<CriteriaSet>> {
        let key = (round.year, group.to_string());
        if let Ok(map) = self.0.sets.lock()
            && let Some(s) = map.get(&key)
        {
            return Ok(s.clone());
        }
        let set = db.criteria_set(round.year, group).await?;
        if round.state != RoundState::Draft
            && let Ok(mut map) = self.0.sets.lock()
        {
            map.insert(key, set.clone());
        }
        Ok(set)
    }

    /// A sheet's content at `version`, if it was read at that version.
    pub fn content(&self, year: i32, unit: &str, version: i64) -> Option<Arc<SheetContent>> {
        let map = self.0.sheets.lock().ok()?;
        match map.get(&(year, unit.to_string())) {
            Some((v, c)) if *v == version => Some(c.clone()),
            _ => None,
        }
    }

    /// Keeps a sheet's content read at `version` (the caller has checked that the version did
    /// not change while it read).
    pub fn keep(&self, year: i32, unit: &str, version: i64, content: Arc<SheetContent>) {
        if let Ok(mut map) = self.0.sheets.lock() {
            map.insert((year, unit.to_string()), (version, content));
        }
    }
}
