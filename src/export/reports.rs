//! The report builders: each reads dialog pages and writes rows.

use std::collections::{BTreeMap, HashMap};

use super::workbook::{Book, Cell};
use super::{ExportRequest, Report, for_each_page};
use crate::config::Config;
use crate::db::DbConn;
use crate::domain::dialog_figures::is_missed;
use crate::domain::{billing, currency};
use crate::error::ApiResult;
use crate::store::dialogs::DialogRow;
use crate::store::{chats, messages, operators, ratings, tags, visitors};

/// Names of chats and operators: small tables, loaded once.
struct Names {
    chats: HashMap<i64, String>,
    operators: HashMap<i64, String>,
}

impl Names {
    fn load(conn: &mut DbConn, ws: i64) -> ApiResult<Self> {
        let chats = chats::list(conn, ws, None, true, None, 10_000)?.into_iter().map(|c| (c.id, c.name)).collect();
        let ids = operators::all_ids(conn, ws)?;
        let operators = operators::find_many_any(conn, ws, &ids)?.into_iter().map(|o| (o.id, o.display_name)).collect();
        Ok(Self { chats, operators })
    }

    fn chat(&self, id: i64) -> String {
        self.chats.get(&id).cloned().unwrap_or_default()
    }

    fn operator(&self, id: Option<i64>) -> Cell {
        Cell::opt_text(id.and_then(|id| self.operators.get(&id)).map(String::as_str))
    }
}

pub fn build(conn: &mut DbConn, config: &Config, ws: i64, req: &ExportRequest) -> ApiResult<Vec<u8>> {
    let names = Names::load(conn, ws)?;
    let mut book = Book::new(req.tz);
    match req.report {
        Report::Sessions => sessions(conn, config, ws, req, &names, &mut book, false)?,
        Report::TaggedSessions => sessions(conn, config, ws, req, &names, &mut book, true)?,
        Report::OperatorMetrics => operator_metrics(conn, ws, req, &names, &mut book)?,
        Report::Productivity => productivity(conn, ws, req, &names, &mut book)?,
        Report::Sources => sources(conn, ws, req, &mut book)?,
        Report::WebPages => web_pages(conn, ws, req, &mut book)?,
        Report::PopularPhrases => popular_phrases(conn, ws, req, &mut book)?,
        Report::VisitorPhrases => visitor_phrases(conn, ws, req, &mut book)?,
        Report::Billing => billing(conn, ws, req, &mut book)?,
    }
    book.finish()
}

fn ids(rows: &[DialogRow]) -> Vec<i64> {
    rows.iter().map(|d| d.id).collect()
}

fn visitor_names(conn: &mut DbConn, ws: i64, rows: &[DialogRow]) -> ApiResult<HashMap<i64, (String, String)>> {
    let mut ids: Vec<i64> = rows.iter().map(|d| d.visitor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(visitors::find_many(conn, ws, &ids)?
        .into_iter()
        .map(|v| (v.id, (v.name.unwrap_or_default(), v.email.unwrap_or_default())))
        .collect())
}

fn sessions(
    conn: &mut DbConn,
    config: &Config,
    ws: i64,
    req: &ExportRequest,
    names: &Names,
    book: &mut Book,
    tagged_only: bool,
) -> ApiResult<()> {
    let sheet = book.sheet(
        "Sessions",
        &[
            ("Session", 38.0),
            ("Dialog link", 40.0),
            ("Chat", 20.0),
            ("Channel", 10.0),
            ("Visitor", 20.0),
            ("Visitor email", 24.0),
            ("Operator", 18.0),
            ("Status", 10.0),
            ("Created", 20.0),
            ("Started by visitor", 20.0),
            ("Closed", 20.0),
            ("Messages", 10.0),
            ("Visitor messages", 10.0),
            ("Operator messages", 10.0),
            ("First response, s", 12.0),
            ("Unanswered", 10.0),
            ("Missed", 10.0),
            ("Tags", 24.0),
            ("Rating", 8.0),
            ("Rating scale", 8.0),
            ("Review", 40.0),
        ],
    )?;
    let message_sheet = if req.with_messages {
        Some(book.sheet(
            "Messages",
            &[("Session", 38.0), ("Time", 20.0), ("Author", 20.0), ("Channel", 10.0), ("Text", 80.0)],
        )?)
    } else {
        None
    };
    for_each_page(conn, ws, &req.filter, |conn, rows| {
        let dialog_ids = ids(rows);
        let visitors = visitor_names(conn, ws, rows)?;
        let mut tag_names: HashMap<i64, Vec<String>> = HashMap::new();
        for (dialog_id, tag) in tags::for_dialogs(conn, ws, &dialog_ids)? {
            tag_names.entry(dialog_id).or_default().push(tag.name);
        }
        let ratings: HashMap<i64, _> =
            ratings::answered_for_dialogs(conn, &dialog_ids)?.into_iter().map(|r| (r.dialog_id, r)).collect();
        let mut written = Vec::new();
        for d in rows {
            let tags = tag_names.remove(&d.id).unwrap_or_default();
            if tagged_only && tags.is_empty() {
                continue;
            }
            written.push(d.id);
            let (visitor, email) = visitors.get(&d.visitor_id).cloned().unwrap_or_default();
            let rating = ratings.get(&d.id);
            book.row(
                sheet,
                vec![
                    Cell::text(&d.session_id),
                    Cell::text(config.dialog_link(d.id, &d.session_id)),
                    Cell::text(names.chat(d.chat_id)),
                    Cell::text(&d.channel),
                    Cell::text(visitor),
                    Cell::text(email),
                    names.operator(d.assignee_id),
                    Cell::text(&d.status),
                    Cell::Time(d.created_at),
                    Cell::opt_time(d.started_at),
                    Cell::opt_time(d.closed_at),
                    Cell::int(d.message_count),
                    Cell::int(d.visitor_message_count),
                    Cell::int(d.operator_message_count),
                    Cell::opt_secs(d.first_response_ms),
                    Cell::yes_no(d.started_at.is_some() && d.operator_message_count == 0),
                    Cell::yes_no(is_missed(d)),
                    Cell::text(tags.join(", ")),
                    rating.and_then(|r| r.score).map_or(Cell::Empty, Cell::int),
                    rating.map_or(Cell::Empty, |r| Cell::int(r.scale)),
                    Cell::opt_text(rating.and_then(|r| r.review.as_deref())),
                ],
            )?;
        }
        if let Some(message_sheet) = message_sheet {
            let sessions: HashMap<i64, &str> = rows.iter().map(|d| (d.id, d.session_id.as_str())).collect();
            for m in messages::for_dialogs(conn, &written, false)? {
                let author = match m.author_type.as_str() {
                    "operator" => names.operator(m.author_id),
                    "visitor" => Cell::text("visitor"),
                    other => Cell::text(other),
                };
                book.row(
                    message_sheet,
                    vec![
                        Cell::text(sessions.get(&m.dialog_id).copied().unwrap_or_default()),
                        Cell::Time(m.created_at),
                        author,
                        Cell::text(&m.channel),
                        Cell::text(m.body),
                    ],
                )?;
            }
        }
        Ok(())
    })
}

fn avg_response_ms(d: &DialogRow) -> Option<i64> {
    (d.response_count > 0).then(|| d.response_total_ms / i64::from(d.response_count))
}

fn operator_metrics(conn: &mut DbConn, ws: i64, req: &ExportRequest, names: &Names, book: &mut Book) -> ApiResult<()> {
    let sheet = book.sheet(
        "Operator metrics",
        &[
            ("Session", 38.0),
            ("Created", 20.0),
            ("Chat", 20.0),
            ("Channel", 10.0),
            ("Operator", 18.0),
            ("First response, s", 12.0),
            ("Responses", 10.0),
            ("Average response, s", 12.0),
            ("Longest response, s", 12.0),
            ("Operator replies", 10.0),
            ("Unanswered", 10.0),
            ("Missed", 10.0),
        ],
    )?;
    for_each_page(conn, ws, &req.filter, |_, rows| {
        for d in rows {
            book.row(
                sheet,
                vec![
                    Cell::text(&d.session_id),
                    Cell::Time(d.created_at),
                    Cell::text(names.chat(d.chat_id)),
                    Cell::text(&d.channel),
                    names.operator(d.assignee_id),
                    Cell::opt_secs(d.first_response_ms),
                    Cell::int(d.response_count),
                    Cell::opt_secs(avg_response_ms(d)),
                    Cell::opt_secs((d.response_count > 0).then_some(d.response_max_ms)),
                    Cell::int(d.operator_message_count),
                    Cell::yes_no(d.started_at.is_some() && d.operator_message_count == 0),
                    Cell::yes_no(is_missed(d)),
                ],
            )?;
        }
        Ok(())
    })
}

/// Running totals of a group of dialogs.
#[derive(Default)]
struct Totals {
    dialogs: i64,
    closed: i64,
    visitor_messages: i64,
    operator_messages: i64,
    responses: i64,
    response_total_ms: i64,
    response_max_ms: i64,
    unanswered: i64,
    missed: i64,
    assigned: i64,
}

impl Totals {
    fn add(&mut self, d: &DialogRow) {
        self.dialogs += 1;
        self.closed += i64::from(d.is_closed());
        self.visitor_messages += i64::from(d.visitor_message_count);
        self.operator_messages += i64::from(d.operator_message_count);
        self.responses += i64::from(d.response_count);
        self.response_total_ms += d.response_total_ms;
        self.response_max_ms = self.response_max_ms.max(d.response_max_ms);
        self.unanswered += i64::from(d.started_at.is_some() && d.operator_message_count == 0);
        self.missed += i64::from(is_missed(d));
        self.assigned += i64::from(d.assignee_id.is_some());
    }

    fn avg_response(&self) -> Cell {
        Cell::opt_secs((self.responses > 0).then(|| self.response_total_ms / self.responses))
    }

    fn max_response(&self) -> Cell {
        Cell::opt_secs((self.responses > 0).then_some(self.response_max_ms))
    }
}

fn productivity(conn: &mut DbConn, ws: i64, req: &ExportRequest, names: &Names, book: &mut Book) -> ApiResult<()> {
    let mut by_operator: BTreeMap<Option<i64>, Totals> = BTreeMap::new();
    for_each_page(conn, ws, &req.filter, |_, rows| {
        for d in rows {
            by_operator.entry(d.assignee_id).or_default().add(d);
        }
        Ok(())
    })?;
    let sheet = book.sheet(
        "Productivity",
        &[
            ("Operator", 20.0),
            ("Dialogs", 10.0),
            ("Closed", 10.0),
            ("Visitor messages", 10.0),
            ("Operator messages", 10.0),
            ("Average response, s", 12.0),
            ("Longest response, s", 12.0),
            ("Unanswered", 10.0),
            ("Missed", 10.0),
        ],
    )?;
    for (operator, t) in by_operator {
        let name = if operator.is_none() { Cell::text("(unassigned)") } else { names.operator(operator) };
        book.row(
            sheet,
            vec![
                name,
                Cell::int(t.dialogs),
                Cell::int(t.closed),
                Cell::int(t.visitor_messages),
                Cell::int(t.operator_messages),
                t.avg_response(),
                t.max_response(),
                Cell::int(t.unanswered),
                Cell::int(t.missed),
            ],
        )?;
    }
    Ok(())
}

fn sources(conn: &mut DbConn, ws: i64, req: &ExportRequest, book: &mut Book) -> ApiResult<()> {
    let mut by_channel: BTreeMap<String, Totals> = BTreeMap::new();
    for_each_page(conn, ws, &req.filter, |_, rows| {
        for d in rows {
            by_channel.entry(d.channel.clone()).or_default().add(d);
        }
        Ok(())
    })?;
    let sheet = book.sheet(
        "Sources",
        &[
            ("Channel", 14.0),
            ("Dialogs", 10.0),
            ("Visitor messages", 10.0),
            ("Operator messages", 10.0),
            ("Dialogs handed to operators", 14.0),
            ("Unanswered", 10.0),
        ],
    )?;
    for (channel, t) in by_channel {
        book.row(
            sheet,
            vec![
                Cell::text(channel),
                Cell::int(t.dialogs),
                Cell::int(t.visitor_messages),
                Cell::int(t.operator_messages),
                Cell::int(t.assigned),
                Cell::int(t.unanswered),
            ],
        )?;
    }
    Ok(())
}

fn web_pages(conn: &mut DbConn, ws: i64, req: &ExportRequest, book: &mut Book) -> ApiResult<()> {
    let sheet = book.sheet(
        "Web pages",
        &[("Session", 38.0), ("Visitor", 20.0), ("Viewed", 20.0), ("URL", 60.0), ("Title", 30.0), ("Referrer", 40.0)],
    )?;
    for_each_page(conn, ws, &req.filter, |conn, rows| {
        let visitors = visitor_names(conn, ws, rows)?;
        let sessions: HashMap<i64, (&str, i64)> =
            rows.iter().map(|d| (d.id, (d.session_id.as_str(), d.visitor_id))).collect();
        for v in visitors::page_views_for_dialogs(conn, ws, &ids(rows))? {
            let Some((session, visitor_id)) = v.dialog_id.and_then(|id| sessions.get(&id)).copied() else {
                continue;
            };
            book.row(
                sheet,
                vec![
                    Cell::text(session),
                    Cell::text(visitors.get(&visitor_id).map(|v| v.0.clone()).unwrap_or_default()),
                    Cell::Time(v.viewed_at),
                    Cell::text(v.url),
                    Cell::opt_text(v.title.as_deref()),
                    Cell::opt_text(v.referrer.as_deref()),
                ],
            )?;
        }
        Ok(())
    })
}

/// Longest phrase counted, in characters.
const MAX_PHRASE_CHARS: usize = 200;
/// Phrases listed in the popular-phrases report.
const TOP_PHRASES: usize = 1000;

/// Lower case, single spaces, no surrounding punctuation.
pub fn normalize_phrase(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let joined = words.join(" ");
    let trimmed = joined.trim_matches(|c: char| !c.is_alphanumeric());
    trimmed.chars().take(MAX_PHRASE_CHARS).collect()
}

fn popular_phrases(conn: &mut DbConn, ws: i64, req: &ExportRequest, book: &mut Book) -> ApiResult<()> {
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    for_each_page(conn, ws, &req.filter, |conn, rows| {
        let mut last_dialog = None;
        let mut seen_in_dialog: Vec<String> = Vec::new();
        for m in messages::for_dialogs(conn, &ids(rows), true)? {
            if last_dialog != Some(m.dialog_id) {
                last_dialog = Some(m.dialog_id);
                seen_in_dialog.clear();
            }
            let phrase = normalize_phrase(&m.body);
            if phrase.is_empty() {
                continue;
            }
            let entry = counts.entry(phrase.clone()).or_default();
            entry.0 += 1;
            if !seen_in_dialog.contains(&phrase) {
                entry.1 += 1;
                seen_in_dialog.push(phrase);
            }
        }
        Ok(())
    })?;
    let mut ranked: Vec<(String, (i64, i64))> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    let sheet = book.sheet("Popular phrases", &[("Phrase", 60.0), ("Times", 10.0), ("Dialogs", 10.0)])?;
    for (phrase, (times, dialogs)) in ranked.into_iter().take(TOP_PHRASES) {
        book.row(sheet, vec![Cell::text(phrase), Cell::int(times), Cell::int(dialogs)])?;
    }
    Ok(())
}

fn visitor_phrases(conn: &mut DbConn, ws: i64, req: &ExportRequest, book: &mut Book) -> ApiResult<()> {
    let sheet = book.sheet(
        "Visitor phrases",
        &[("Session", 38.0), ("Visitor", 20.0), ("Time", 20.0), ("Channel", 10.0), ("Text", 80.0)],
    )?;
    for_each_page(conn, ws, &req.filter, |conn, rows| {
        let visitors = visitor_names(conn, ws, rows)?;
        let sessions: HashMap<i64, (&str, i64)> =
            rows.iter().map(|d| (d.id, (d.session_id.as_str(), d.visitor_id))).collect();
        for m in messages::for_dialogs(conn, &ids(rows), true)? {
            let (session, visitor_id) = sessions.get(&m.dialog_id).copied().unwrap_or_default();
            book.row(
                sheet,
                vec![
                    Cell::text(session),
                    Cell::text(visitors.get(&visitor_id).map(|v| v.0.clone()).unwrap_or_default()),
                    Cell::Time(m.created_at),
                    Cell::text(&m.channel),
                    Cell::text(m.body),
                ],
            )?;
        }
        Ok(())
    })
}

/// Prices and costs in major units (numbers a spreadsheet can sum), with the currency beside.
fn billing(conn: &mut DbConn, ws: i64, req: &ExportRequest, book: &mut Book) -> ApiResult<()> {
    let prices = billing::load(conn, ws)?;
    let lines = billing::lines(conn, ws, &req.filter, prices.as_ref())?;
    let sheet = book.sheet(
        "Billing",
        &[
            ("Chat", 24.0),
            ("Channel", 12.0),
            ("Dialogs", 10.0),
            ("Paid messages", 12.0),
            ("Price", 10.0),
            ("Cost", 12.0),
            ("Currency", 10.0),
        ],
    )?;
    let decimals = prices.as_ref().map_or(2, |p| p.decimals);
    let currency = prices.as_ref().map_or("", |p| p.currency.as_str());
    let money = |minor: i64| Cell::Number(currency::to_major(minor, decimals));
    let (mut dialogs, mut paid, mut cost) = (0i64, 0i64, 0i64);
    for l in &lines {
        dialogs += l.dialogs;
        paid += l.paid_messages;
        cost = cost.saturating_add(l.cost_minor);
        book.row(
            sheet,
            vec![
                Cell::text(&l.chat_name),
                Cell::text(l.channel.as_str()),
                Cell::int(l.dialogs),
                Cell::int(l.paid_messages),
                money(l.price_minor),
                money(l.cost_minor),
                Cell::text(currency),
            ],
        )?;
    }
    book.row(
        sheet,
        vec![
            Cell::text("Total"),
            Cell::Empty,
            Cell::int(dialogs),
            Cell::int(paid),
            Cell::Empty,
            money(cost),
            Cell::text(currency),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn phrases_compare_without_case_spacing_or_edge_punctuation() {
        assert_eq!(super::normalize_phrase("  Where is   my ORDER?? "), "where is my order");
        assert_eq!(super::normalize_phrase("!!!"), "");
    }
}
