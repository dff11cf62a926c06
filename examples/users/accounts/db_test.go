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
