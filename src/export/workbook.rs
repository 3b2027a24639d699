//! A streaming XLSX writer: worksheets in constant-memory mode (rows go to temporary files as
//! they are written, so memory stays flat however many rows), bold headers, times as real
//! spreadsheet dates in the requested zone, numbers as numbers.

use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::error::{ApiError, ApiResult};
use crate::time::to_datetime;

/// One cell of a row.
pub enum Cell {
    Text(String),
    Number(f64),
    /// Epoch milliseconds, shown in the book's zone.
    Time(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn int(n: impl Into<i64>) -> Cell {
        Cell::Number(n.into() as f64)
    }

    pub fn opt_time(ms: Option<i64>) -> Cell {
        ms.map_or(Cell::Empty, Cell::Time)
    }

    pub fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, |s| Cell::Text(s.to_string()))
    }

    /// Milliseconds as seconds, or empty.
    pub fn opt_secs(ms: Option<i64>) -> Cell {
        ms.map_or(Cell::Empty, |ms| Cell::Number(ms as f64 / 1000.0))
    }

    pub fn yes_no(b: bool) -> Cell {
        Cell::Text(if b { "yes" } else { "no" }.into())
    }
}

fn xlsx_error(e: XlsxError) -> ApiError {
    ApiError::internal(format!("xlsx: {e}"))
}

pub struct Book {
    workbook: Workbook,
    header: Format,
    datetime: Format,
    tz: Tz,
    next_row: Vec<u32>,
}

/// Excel's last row: a longer report is cut there.
const MAX_ROWS: u32 = 1_048_575;

impl Book {
    pub fn new(tz: Tz) -> Self {
        Self {
            workbook: Workbook::new(),
            header: Format::new().set_bold(),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            tz,
            next_row: Vec::new(),
        }
    }

    /// Adds a worksheet with its header row; returns its index for [`Book::row`].
    pub fn sheet(&mut self, name: &str, headers: &[(&str, f64)]) -> ApiResult<usize> {
        let index = self.next_row.len();
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name(name).map_err(xlsx_error)?;
        for (col, (title, width)) in headers.iter().enumerate() {
            let col = col as u16;
            sheet.set_column_width(col, *width).map_err(xlsx_error)?;
            sheet.write_string_with_format(0, col, *title, &self.header).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        self.next_row.push(1);
        Ok(index)
    }

    pub fn row(&mut self, sheet: usize, cells: Vec<Cell>) -> ApiResult<()> {
        let row = self.next_row[sheet];
        if row > MAX_ROWS {
            return Ok(());
        }
        self.next_row[sheet] += 1;
        let ws = self.workbook.worksheet_from_index(sheet).map_err(xlsx_error)?;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(row, col, s).map_err(xlsx_error)?;
                }
                Cell::Number(n) => {
                    ws.write_number(row, col, n).map_err(xlsx_error)?;
                }
                Cell::Time(ms) => {
                    let local = to_datetime(ms).with_timezone(&self.tz).naive_local();
                    ws.write_datetime_with_format(row, col, local, &self.datetime).map_err(xlsx_error)?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> ApiResult<Vec<u8>> {
        self.workbook.save_to_buffer().map_err(xlsx_error)
    }
}
