package accounts

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schemaVersion is the PRAGMA user_version that migrate leaves behind.
const schemaVersion = 3

// Open opens the SQLite database at path, creating the file when it does not
// exist, and brings the users table up to date (see migrate). The database is
// in WAL mode, so logins read while a registration writes. path may not
// contain '?' or '#', and ":memory:" is refused: each pooled connection would
// see a database of its own.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	switch {
	case path == "":
		return nil, errors.New("accounts: empty database path")
	case strings.ContainsAny(path, "?#"), path == ":memory:", strings.HasPrefix(path, "file:"):
		return nil, errors.New("accounts: the database path must be a plain file name")
	}
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("accounts: open database: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrate creates the users table, or upgrades one that an earlier version
// (or the FastAPI recipe, whose table has id, username, email and
// password_hash) left behind, in one transaction. PRAGMA user_version records
// the schema version; a database from a newer version is refused rather than
// guessed at.
//
// It runs on a connection of its own with foreign keys off, as SQLite's
// procedure for rebuilding a table asks (https://sqlite.org/lang_altertable.html#otheralter):
// dropping the old users table must not fire the ON DELETE actions of
// other tables that refer to it. It checks them before committing.
func migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	err = migrateConn(ctx, conn)
	if _, ferr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); ferr != nil {
		// Never hand a connection without foreign keys back to the pool.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = fmt.Errorf("accounts: migrate: %w", ferr)
		}
	}
	return err
}

func migrateConn(ctx context.Context, conn *sql.Conn) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("accounts: the database has schema version %d; this program knows up to %d", version, schemaVersion)
	}
	var existed bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&existed); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	// AUTOINCREMENT: an id is never given twice, not even the id of the
	// last account after it was deleted, which SQLite otherwise hands to
	// the next one. The id is the sub of the account's tokens, so a new
	// account must never inherit the sessions of a deleted one.
	const create = `CREATE TABLE IF NOT EXISTS users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT UNIQUE NOT NULL,
		email         TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
	)`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	cols, err := columns(ctx, tx, "users")
	if err != nil {
		return err
	}
	for _, c := range []string{"id", "username", "password_hash"} {
		if !cols[c] {
			return fmt.Errorf("accounts: migrate: table users has no column %s", c)
		}
	}
	// SQLite adds a column only with a constant default; new rows get real
	// values from createUser, rows from before have none to recover.
	if !cols["email"] {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("accounts: migrate: %w", err)
		}
	}
	if !cols["created_at"] {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN created_at TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("accounts: migrate: %w", err)
		}
	}
	// Version 3: a table from before is rebuilt with AUTOINCREMENT.
	if existed {
		if err := rebuildUsers(ctx, tx); err != nil {
			return err
		}
	}
	// Version 2: usernames are unique whatever their case. SQLite's lower()
	// folds ASCII letters only, which is all a username may hold; lookups
	// compare lower(username), which this index serves.
	_, err = tx.ExecContext(ctx, `CREATE UNIQUE INDEX IF NOT EXISTS users_username_nocase ON users (lower(username))`)
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return errors.New("accounts: migrate: some usernames differ only in case; rename or merge those accounts first")
	}
	if err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	var broken int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&broken); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	if broken > 0 {
		return fmt.Errorf("accounts: migrate: %d rows of other tables would refer to missing users", broken)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	return nil
}

// rebuildUsers replaces the users table by one whose id is AUTOINCREMENT,
// with the same rows, ids and any further columns (their type, NOT NULL and
// default), and the same further indexes and triggers. The index on
// lower(username) is made again by migrate.
func rebuildUsers(ctx context.Context, tx *sql.Tx) error {
	fail := func(err error) error { return fmt.Errorf("accounts: migrate: rebuild users: %w", err) }
	rows, err := tx.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value FROM pragma_table_info('users')`)
	if err != nil {
		return fail(err)
	}
	defs := []string{
		`id INTEGER PRIMARY KEY AUTOINCREMENT`,
		`username TEXT UNIQUE NOT NULL`,
		`email TEXT NOT NULL`,
		`password_hash TEXT NOT NULL`,
		`created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`,
	}
	names := []string{"id", "username", "email", "password_hash", "created_at"}
	copied := []string{"id", "username", "coalesce(email, '')", "password_hash", "coalesce(created_at, '')"}
	for rows.Next() {
		var name, typ string
		var notNull bool
		var dflt sql.NullString
		if err := rows.Scan(&name, &typ, &notNull, &dflt); err != nil {
			rows.Close()
			return fail(err)
		}
		if slices.Contains(names[:5], strings.ToLower(name)) {
			continue
		}
		def := quoteIdent(name) + " " + typ
		if notNull {
			def += " NOT NULL"
		}
		if dflt.Valid {
			def += " DEFAULT (" + dflt.String + ")"
		}
		defs = append(defs, def)
		names = append(names, quoteIdent(name))
		copied = append(copied, quoteIdent(name))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	var keep []string
	rows, err = tx.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND type IN ('index', 'trigger') AND sql IS NOT NULL AND name <> 'users_username_nocase'`)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var stmt string
		if err := rows.Scan(&stmt); err != nil {
			rows.Close()
			return fail(err)
		}
		keep = append(keep, stmt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for _, stmt := range append([]string{
		`DROP TABLE IF EXISTS users_v3`,
		`CREATE TABLE users_v3 (` + strings.Join(defs, ", ") + `)`,
		`INSERT INTO users_v3 (` + strings.Join(names, ", ") + `) SELECT ` + strings.Join(copied, ", ") + ` FROM users ORDER BY id`,
		`DROP TABLE users`,
		`ALTER TABLE users_v3 RENAME TO users`,
	}, keep...) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fail(err)
		}
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// columns returns the names of table's columns.
func columns(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, fmt.Errorf("accounts: migrate: %w", err)
	}
	defer rows.Close()
	cols := make(map[string]bool)
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("accounts: migrate: %w", err)
		}
		cols[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: migrate: %w", err)
	}
	return cols, nil
}

// User is an account as the API shows it: never with its password hash.
type User struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	CreatedAt string `json:"created_at,omitempty"` // RFC 3339, UTC; empty for rows older than the column
}

// errDuplicate means the username is taken, in some case.
var errDuplicate = errors.New("accounts: username taken")

// errNoUser means no account has the username.
var errNoUser = errors.New("accounts: no such user")

// createUser inserts an account and returns it.
func createUser(ctx context.Context, db *sql.DB, username, email, hash string, now time.Time) (User, error) {
	u := User{Username: username, Email: email, CreatedAt: now.UTC().Format(time.RFC3339)}
	err := db.QueryRowContext(ctx,
		`INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		username, email, hash, u.CreatedAt).Scan(&u.ID)
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return User{}, errDuplicate
	}
	if err != nil {
		return User{}, fmt.Errorf("accounts: create user: %w", err)
	}
	return u, nil
}

// userExists reports whether username is taken, in any case.
func userExists(ctx context.Context, db *sql.DB, username string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM users WHERE lower(username) = lower(?)`, username).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("accounts: look up user: %w", err)
	}
	return true, nil
}

// credentials returns the ID, the username as registered and the password
// hash of the account that username names in any case, or errNoUser.
func credentials(ctx context.Context, db *sql.DB, username string) (id int64, name, hash string, err error) {
	err = db.QueryRowContext(ctx, `SELECT id, username, password_hash FROM users WHERE lower(username) = lower(?)`, username).Scan(&id, &name, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", "", errNoUser
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("accounts: look up user: %w", err)
	}
	return id, name, hash, nil
}

// replaceHash stores newHash for the user id, if the stored hash is still
// oldHash: a password change that happened meanwhile wins.
func replaceHash(ctx context.Context, db *sql.DB, id int64, oldHash, newHash string) error {
	_, err := db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, id, oldHash)
	if err != nil {
		return fmt.Errorf("accounts: update password hash: %w", err)
	}
	return nil
}

// account returns the username of the account id, or errNoUser.
func account(ctx context.Context, db *sql.DB, id int64) (name string, err error) {
	err = db.QueryRowContext(ctx, `SELECT username FROM users WHERE id = ?`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoUser
	}
	if err != nil {
		return "", fmt.Errorf("accounts: look up user: %w", err)
	}
	return name, nil
}

// credentialsByID returns the username and the password hash of the
// account id, or errNoUser.
func credentialsByID(ctx context.Context, db *sql.DB, id int64) (name, hash string, err error) {
	err = db.QueryRowContext(ctx, `SELECT username, password_hash FROM users WHERE id = ?`, id).Scan(&name, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errNoUser
	}
	if err != nil {
		return "", "", fmt.Errorf("accounts: look up user: %w", err)
	}
	return name, hash, nil
}

// setPasswordHash stores newHash for the user id if the stored hash is
// still oldHash, and reports whether it did: of two password changes that
// race, the second fails rather than undo the first.
func setPasswordHash(ctx context.Context, db *sql.DB, id int64, oldHash, newHash string) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, id, oldHash)
	if err != nil {
		return false, fmt.Errorf("accounts: update password hash: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("accounts: update password hash: %w", err)
	}
	return n == 1, nil
}

// deleteUser deletes the account id, and reports whether there was one.
// Its id is never given to another account (AUTOINCREMENT).
func deleteUser(ctx context.Context, db *sql.DB, id int64) (bool, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("accounts: delete user: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("accounts: delete user: %w", err)
	}
	return n == 1, nil
}
