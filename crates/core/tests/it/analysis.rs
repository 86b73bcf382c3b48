//! The analysis layer (issue 7): points lost, the planner, self against appraised, uncertainty
//! and year over year.

#[path = "analysis_inflation.rs"]
mod inflation;
#[path = "analysis_lost.rs"]
mod lost;
#[path = "analysis_planner.rs"]
mod planner;
#[path = "analysis_uncertainty.rs"]
mod uncertainty;
#[path = "analysis_yoy.rs"]
mod yoy;
