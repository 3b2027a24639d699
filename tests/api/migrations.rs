//! Migrations apply, revert and apply again on the backend under test.

use diesel::RunQueryDsl;
use livedesk::db::{Backend, DatabaseUrl, Db, migrations_pending, revert_all_migrations, run_migrations};

use crate::helpers::TestDb;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn user_tables(conn: &mut livedesk::db::DbConn, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name != '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

#[test]
fn up_down_up() {
    let test_db = TestDb::new();
    let db = Db::connect(&DatabaseUrl::parse(&test_db.url).unwrap(), 1).unwrap();
    let backend = db.backend();
    assert_eq!(backend == Backend::Postgres, test_db.is_postgres());
    let mut conn = db.get_blocking().unwrap();

    let applied = run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert!(!migrations_pending(&mut conn).unwrap());
    let tables = user_tables(&mut conn, backend);
    assert!(tables >= 6, "{tables} tables");

    let reverted = revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(user_tables(&mut conn, backend), 0);
    assert!(migrations_pending(&mut conn).unwrap());

    let again = run_migrations(&mut conn).unwrap();
    assert_eq!(again, applied);
    assert_eq!(user_tables(&mut conn, backend), tables);
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let sqlite = names(&format!("{root}/migrations/sqlite"));
    assert_eq!(sqlite, names(&format!("{root}/migrations/postgres")));
    for name in sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                assert!(std::path::Path::new(&format!("{root}/migrations/{backend}/{name}/{file}")).exists());
            }
        }
    }
}
