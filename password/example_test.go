package password_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authkit-go/authkit/password"
)

func ExampleHash() {
	hash, err := password.Hash("correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"))

	ok, err := password.Verify("correct horse battery staple", hash)
	fmt.Println(ok, err)

	ok, err = password.Verify("Tr0ub4dor&3", hash)
	fmt.Println(ok, err)
	// Output:
	// true
	// true <nil>
	// false <nil>
}

func ExampleVerify_legacy() {
	// Hashes written by passlib, argon2-cffi and python bcrypt verify as
	// they are. This is the demo user of the FastAPI security tutorial.
	const johndoe = "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW"
	ok, err := password.Verify("secret", johndoe)
	fmt.Println(ok, err)

	// argon2d, argon2 version 16 and passlib's bcrypt-sha256 are refused.
	_, err = password.Verify("hunter2", "$argon2d$v=19$m=1024,t=2,p=1$mRB8pLyHJvK2cHhNhExnmg$/+vvRInoJDItZBMAJsDUBaYIPYL9SpYoiWVsu6cjZck")
	fmt.Println(errors.Is(err, password.ErrUnsupported))
	// Output:
	// true <nil>
	// true
}

func ExampleNeedsRehash() {
	for _, hash := range []string{
		// bcrypt (passlib): always upgraded.
		"$2b$05$Q9U9Bb5GM4DiI9JEgm.Nhe1wBn1Pr.tAssMx8k4zx07QIr4k3mHVC",
		// argon2id with argon2-cffi's defaults, not this package's.
		"$argon2id$v=19$m=102400,t=2,p=8$xWHcTCt85s4HpvaUy1sYSA$lFplRqaH6JcWwfVewYLHtQ",
		// argon2id with the current defaults.
		"$argon2id$v=19$m=19456,t=2,p=1$pnQsbbhf2lJMnRnGNkUBvA$Z6i4yNRg61h0ji/be49y0Wohksg/GfVuX2/uu0ohMxU",
		// Not a hash.
		"hunter2",
	} {
		fmt.Println(password.NeedsRehash(hash))
	}
	// Output:
	// true
	// true
	// false
	// true
}

func ExampleHasher_VerifyAndUpgrade() {
	var hasher password.Hasher // the defaults
	ctx := context.Background()

	// A user whose hash a Python service stored with passlib's bcrypt.
	stored := "$2b$05$Q9U9Bb5GM4DiI9JEgm.Nhe1wBn1Pr.tAssMx8k4zx07QIr4k3mHVC"

	ok, newHash, err := hasher.VerifyAndUpgrade(ctx, "hunter2", stored)
	if err != nil || !ok {
		fmt.Println("login refused")
		return
	}
	if newHash != "" {
		stored = newHash // save it in the user's row
	}
	fmt.Println("logged in; upgraded to", stored[:31])

	// The next login finds a current hash: nothing to store.
	ok, newHash, err = hasher.VerifyAndUpgrade(ctx, "hunter2", stored)
	fmt.Println(ok, newHash == "", err)
	// Output:
	// logged in; upgraded to $argon2id$v=19$m=19456,t=2,p=1$
	// true true <nil>
}

func ExampleHasher_DummyVerify() {
	// Hasher.Login does this, and also equalises legacy bcrypt accounts.
	var hasher password.Hasher
	users := map[string]string{} // username → stored hash
	users["alice"], _ = hasher.Hash(context.Background(), "alice's password")

	login := func(ctx context.Context, name, pw string) error {
		hash, found := users[name]
		if !found {
			// Spend the same time as a wrong password, so that response
			// times do not reveal which accounts exist.
			if err := hasher.DummyVerify(ctx, pw); err != nil {
				return err
			}
			return errors.New("invalid username or password")
		}
		ok, err := hasher.Verify(ctx, pw, hash)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("invalid username or password")
		}
		return nil
	}

	ctx := context.Background()
	fmt.Println(login(ctx, "alice", "alice's password"))
	fmt.Println(login(ctx, "alice", "guess"))
	fmt.Println(login(ctx, "mallory", "guess"))
	// Output:
	// <nil>
	// invalid username or password
	// invalid username or password
}

func ExampleHasher_Login() {
	// LegacyBcryptCost: the costliest bcrypt hash in the table below, so
	// that failures cost the same from the first login on.
	hasher := &password.Hasher{LegacyBcryptCost: 5}
	users := map[string]string{ // username → stored hash
		// Imported from a Python service that used passlib's bcrypt.
		"bob": "$2b$05$Q9U9Bb5GM4DiI9JEgm.Nhe1wBn1Pr.tAssMx8k4zx07QIr4k3mHVC",
	}
	users["alice"], _ = hasher.Hash(context.Background(), "alice's password")

	errLogin := errors.New("invalid username or password")
	login := func(ctx context.Context, name, pw string) error {
		stored, found := users[name]
		// Unknown users, wrong passwords, legacy hashes and passwords
		// too long for bcrypt all fail after the same work.
		ok, newHash, err := hasher.Login(ctx, pw, stored, found)
		if errors.Is(err, password.ErrBusy) {
			return err // 503: try again later
		}
		if !ok {
			return errLogin // the same answer for every other failure
		}
		if newHash != "" {
			users[name] = newHash // bob's bcrypt hash becomes argon2id
		}
		return nil
	}

	ctx := context.Background()
	fmt.Println(login(ctx, "alice", "alice's password"))
	fmt.Println(login(ctx, "alice", "guess"))
	fmt.Println(login(ctx, "mallory", "guess"))
	fmt.Println(login(ctx, "bob", strings.Repeat("long ", 20)))
	fmt.Println(login(ctx, "bob", "hunter2"), users["bob"][:10])
	// Output:
	// <nil>
	// invalid username or password
	// invalid username or password
	// invalid username or password
	// <nil> $argon2id$
}

func ExampleHasher() {
	// Custom parameters: one of the OWASP alternatives (46 MiB, t=1), at
	// most 4 computations at once, so at most 4 × 256 MiB in the worst case
	// of stored hashes at the MaxMemory cap.
	hasher := &password.Hasher{Memory: 47104, Time: 1, MaxConcurrent: 4}
	if err := hasher.Validate(); err != nil {
		panic(err)
	}
	hash, err := hasher.Hash(context.Background(), "pw")
	if err != nil {
		panic(err)
	}
	fmt.Println(hash[:31])
	fmt.Println(hasher.NeedsRehash(hash), password.NeedsRehash(hash))
	// Output:
	// $argon2id$v=19$m=47104,t=1,p=1$
	// false true
}
