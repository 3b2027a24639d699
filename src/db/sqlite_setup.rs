//! Process-wide SQLite settings, applied once before the first connection opens.
//!
//! - Query-planner stability (`SQLITE_DBCONFIG_ENABLE_QPSG`) on every connection: without it,
//!   SQLite marks a statement whose `LIMIT` is a bound parameter as needing a fresh prepare
//!   whenever that parameter is bound again, and diesel binds `LIMIT` on every `.first()`; so the
//!   cached statements would be parsed and planned again on each use.
//! - No memory statistics (`SQLITE_CONFIG_MEMSTATUS`): keeping them takes one global mutex on
//!   every allocation, which the writer thread and the readers then contend for.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

static SETUP: Once = Once::new();

pub fn configure_once() {
    SETUP.call_once(|| {
        // SAFETY: sqlite3_config must run before SQLite initialises; when another part of the
        // process initialised it already, the call fails harmlessly (SQLITE_MISUSE) and the
        // default stays. sqlite3_auto_extension registers a plain function pointer.
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Runs for every connection SQLite opens in this process.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the option takes an int and an optional
    // out-pointer for the new value.
    unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>()) };
    ffi::SQLITE_OK
}
