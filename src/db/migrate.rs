//! Embedded migrations: `migrations/sqlite` and `migrations/postgres` hold the same names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, BoxError> {
    let applied = crate::db_run!(conn: sqlite {
        conn.run_pending_migrations(SQLITE)?.iter().map(|v| v.to_string()).collect()
    } postgres {
        conn.run_pending_migrations(POSTGRES)?.iter().map(|v| v.to_string()).collect()
    });
    Ok(applied)
}

/// Whether any migration is still to be applied.
pub fn migrations_pending(conn: &mut DbConn) -> Result<bool, BoxError> {
    let pending = crate::db_run!(conn: sqlite {
        conn.has_pending_migration(SQLITE)?
    } postgres {
        conn.has_pending_migration(POSTGRES)?
    });
    Ok(pending)
}

/// Reverts every applied migration, newest first (used by the up/down/up test).
pub fn revert_all_migrations(conn: &mut DbConn) -> Result<Vec<String>, BoxError> {
    let reverted = crate::db_run!(conn: sqlite {
        conn.revert_all_migrations(SQLITE)?.iter().map(|v| v.to_string()).collect()
    } postgres {
        conn.revert_all_migrations(POSTGRES)?.iter().map(|v| v.to_string()).collect()
    });
    Ok(reverted)
}
