package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schemaVersion is the PRAGMA user_version that migrate leaves behind.
const schemaVersion = 2

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
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
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
	const create = `CREATE TABLE IF NOT EXISTS users (
		id            INTEGER PRIMARY KEY,
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
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("accounts: migrate: %w", err)
	}
	return nil
}

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
