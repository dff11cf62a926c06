package accounts

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := createUser(t.Context(), db, "alice", "alice@example.com", "$argon2id$…", time.Now())
	if err != nil || u.ID == 0 {
		t.Fatalf("createUser: %v", err)
	}
	if _, err := createUser(t.Context(), db, "alice", "other@example.com", "$argon2id$…", time.Now()); !errors.Is(err, errDuplicate) {
		t.Fatalf("duplicate username: %v", err)
	}
	db.Close()

	// Opening again keeps the data and changes nothing.
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if id, name, hash, err := credentials(t.Context(), db, "alice"); err != nil || id != u.ID || name != "alice" || hash != "$argon2id$…" {
		t.Fatalf("after reopening: %d %q %q %v", id, name, hash, err)
	}
	// Usernames are one whatever their case.
	if id, name, _, err := credentials(t.Context(), db, "ALICE"); err != nil || id != u.ID || name != "alice" {
		t.Errorf("ALICE: %d %q %v; want alice's account", id, name, err)
	}
	if _, err := createUser(t.Context(), db, "Alice", "other@example.com", "$argon2id$…", time.Now()); !errors.Is(err, errDuplicate) {
		t.Errorf("Alice after alice: %v", err)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q %v", mode, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	prepare := func(name string, stmts ...string) string {
		path := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	for name, tc := range map[string]struct {
		path, want string
	}{
		"newer schema":  {prepare("newer.db", "PRAGMA user_version = 7"), "schema version 7"},
		"foreign table": {prepare("foreign.db", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"), "no column username"},
		"names differing in case": {prepare("case.db",
			"CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL, password_hash TEXT NOT NULL)",
			"INSERT INTO users (username, email, password_hash) VALUES ('Ada', '', 'x'), ('ada', '', 'y')"), "differ only in case"},
		"empty path":     {"", "empty"},
		"URI parameters": {filepath.Join(dir, "x.db?mode=ro"), "plain file"},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := Open(t.Context(), tc.path)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// A table from before version 3 (here version 2's, with a column, an index,
// a trigger and a child table of its own added) is rebuilt with
// AUTOINCREMENT: its rows, ids, columns, indexes, triggers and the rows that
// refer to it stay, and the id of a deleted account is never given again.
func TestMigrateAutoincrement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE users (
			id            INTEGER PRIMARY KEY,
			username      TEXT UNIQUE NOT NULL,
			email         TEXT NOT NULL,
			password_hash TEXT NOT NULL,
			created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
			"full name"   TEXT NOT NULL DEFAULT 'nobody'
		)`,
		`CREATE UNIQUE INDEX users_username_nocase ON users (lower(username))`,
		`CREATE INDEX users_email ON users (email)`,
		`CREATE TABLE audit (n INTEGER)`,
		`CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (NEW.id); END`,
		`CREATE TABLE notes (user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, body TEXT)`,
		`INSERT INTO users (id, username, email, password_hash, "full name") VALUES (1, 'ada', 'ada@example.com', 'h1', 'Ada L'), (7, 'bob', 'bob@example.com', 'h7', 'Bob')`,
		`INSERT INTO notes VALUES (7, 'kept')`,
		`PRAGMA user_version = 2`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var schema string
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version %d %v", version, err)
	}
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'users'`).Scan(&schema); err != nil || !strings.Contains(schema, "AUTOINCREMENT") {
		t.Errorf("schema %q %v", schema, err)
	}
	var fullName, note string
	if err := db.QueryRow(`SELECT "full name" FROM users WHERE id = 7 AND username = 'bob' AND password_hash = 'h7'`).Scan(&fullName); err != nil || fullName != "Bob" {
		t.Errorf("bob after the migration: %q %v", fullName, err)
	}
	if err := db.QueryRow(`SELECT body FROM notes WHERE user_id = 7`).Scan(&note); err != nil || note != "kept" {
		t.Errorf("the child table lost its row: %v", err)
	}
	var indexes int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE tbl_name = 'users' AND name IN ('users_email', 'users_username_nocase', 'users_audit')`).Scan(&indexes); err != nil || indexes != 3 {
		t.Errorf("%d of the indexes and the trigger kept, %v", indexes, err)
	}
	var fk int
	if err := db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign keys %d after the migration, %v", fk, err)
	}

	// Bob, the highest id, is deleted: the next account does not get 7.
	if ok, err := deleteUser(t.Context(), db, 7); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	u, err := createUser(t.Context(), db, "carol", "carol@example.com", "h", time.Now())
	if err != nil || u.ID <= 7 {
		t.Fatalf("the account after the deleted one: id %d, %v", u.ID, err)
	}
	var audited int
	db.QueryRow(`SELECT count(*) FROM audit WHERE n = ?`, u.ID).Scan(&audited)
	if audited != 1 {
		t.Error("the trigger did not survive the rebuild")
	}
	if _, err := createUser(t.Context(), db, "ADA", "x@example.com", "h", time.Now()); !errors.Is(err, errDuplicate) {
		t.Errorf("ADA after ada: %v", err)
	}
}
